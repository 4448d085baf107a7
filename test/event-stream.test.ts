// streamTurn (server/transports/event-stream.ts) on a real Fastify server: the
// response opens at the first event, a turn that fails before any event gets
// its HTTP status from the error handler, one that fails later gets the
// late-error text and the stream ends.
import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import { acceptsEventStream, sseEvent, streamTurn } from '../server/transports/event-stream.ts'

async function serve(t: Test, run: (write: (text: string, last?: boolean) => void) => Promise<void>, keepAliveMs = 60_000) {
  const app = Fastify()
  app.setErrorHandler((error: Error & { status?: number }, _request, reply) => reply.code(error.status ?? 500).send({ error: error.message }))
  app.get('/stream', (_request, reply) =>
    streamTurn(reply, keepAliveMs, { run, lateError: (error) => sseEvent('error', { error: (error as Error).message }), end: ': end\n\n' }),
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const address = app.server.address() as { port: number }
  return `http://127.0.0.1:${address.port}/stream`
}

t.test('events, then the end text', async (t) => {
  const url = await serve(t, async (write) => {
    write(sseEvent('tool_start', { tool_name: 'x' }))
    write(sseEvent('final_message', { message: 'done' }))
  })
  const response = await fetch(url)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/event-stream/)
  t.equal(await response.text(), 'event: tool_start\ndata: {"tool_name":"x"}\n\nevent: final_message\ndata: {"message":"done"}\n\n: end\n\n')
})

t.test('keep-alives while the turn runs, none after its last event', async (t) => {
  const url = await serve(
    t,
    async (write) => {
      write(sseEvent('tool_start', { tool_name: 'x' }))
      await new Promise((resolve) => setTimeout(resolve, 60))
      write(sseEvent('final_message', { message: 'done' }), true)
      // What follows the last event before the turn returns (e.g. leaving the turn queue on PostgreSQL).
      await new Promise((resolve) => setTimeout(resolve, 60))
    },
    10,
  )
  const text = await (await fetch(url)).text()
  const [before, after] = text.split('event: final_message\ndata: {"message":"done"}\n\n')
  t.match(before, /: keep-alive\n\n/, 'keep-alives while the turn runs')
  t.equal(after, ': end\n\n', 'only the end text after the last event')
})

t.test('a failure before any event is an HTTP error with its status', async (t) => {
  const url = await serve(t, async () => {
    throw Object.assign(new Error('slow down'), { status: 429 })
  })
  const response = await fetch(url)
  t.equal(response.status, 429)
  t.same(await response.json(), { error: 'slow down' })
})

t.test('a failure after the stream opened is the late-error text, and the stream ends', async (t) => {
  const url = await serve(t, async (write) => {
    write(sseEvent('final_answer_token', { token: 'Hel' }))
    await new Promise((resolve) => setTimeout(resolve, 20))
    throw new Error('database went away')
  })
  const response = await fetch(url)
  t.equal(response.status, 200)
  t.equal(
    await response.text(),
    'event: final_answer_token\ndata: {"token":"Hel"}\n\nevent: error\ndata: {"error":"database went away"}\n\n',
    'no end text after a failure',
  )
})

t.test('a turn without events still answers', async (t) => {
  const url = await serve(t, async () => undefined)
  const response = await fetch(url)
  t.equal(response.status, 200)
  t.equal(await response.text(), ': end\n\n')
})

t.test('Accept negotiation', async (t) => {
  t.ok(acceptsEventStream('text/event-stream'))
  t.ok(acceptsEventStream('application/json, Text/Event-Stream;q=0.9'))
  t.notOk(acceptsEventStream('*/*'))
  t.notOk(acceptsEventStream('application/json'))
  t.notOk(acceptsEventStream(undefined))
})
