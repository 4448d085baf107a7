// POST /user_message with Accept: text/event-stream against the listening app:
// event order and payloads as on Socket.IO, keep-alive comments while a tool
// runs, 400 JSON before the stream, and a client that leaves mid-stream.
import t from 'tap'
import { listenTestApp } from './helpers/app.ts'
import { startFakeOcean } from './fakes/ocean.ts'
import { startFakeOpenAI } from './fakes/openai.ts'
import { postJson } from './helpers/client.ts'
import { eventually } from './helpers/chat.ts'
import { postStream, readSse, type SseMessage } from './helpers/sse.ts'

const QUESTION = 'What is 20000 divided by 33.3?'

async function collect(response: Response): Promise<SseMessage[]> {
  const messages: SseMessage[] = []
  for await (const message of readSse(response)) messages.push(message)
  return messages
}

t.test('offline server', async (t) => {
  const ocean = await startFakeOcean(t)
  const server = await listenTestApp(t, { OCEAN_URL: ocean.url, SSE_KEEPALIVE_MS: '50' })
  const url = `${server.url}/user_message`

  t.test('streams tool_start, tokens and final_message, then ends', async (t) => {
    const response = await postStream(url, { user_token: 'sse-user', message: QUESTION, application: 'sse-app' })
    t.equal(response.status, 200)
    t.match(response.headers.get('content-type'), /^text\/event-stream/)
    const events = (await collect(response)).filter((m) => m.event !== 'comment')
    const names = events.map((m) => m.event)
    t.equal(names[0], 'tool_start')
    t.same(JSON.parse(events[0].data), { tool_name: "Let's do the math together 🧮" }, 'tool_start carries the Socket.IO payload')
    t.equal(names.at(-1), 'final_message', 'the stream ends after final_message')
    t.equal(names.filter((n) => n === 'final_message').length, 1)
    const tokens = events.filter((m) => m.event === 'final_answer_token').map((m) => JSON.parse(m.data).token)
    t.ok(tokens.length > 1, 'several final_answer_token events')
    const final = JSON.parse(events.at(-1)!.data)
    t.equal(tokens.join(''), final.message, 'the tokens add up to final_message')
    t.match(final.message, /600\.6/)
    t.type(final.message_id, 'number')

    const history = (await postJson(`${server.url}/history`, { user_token: 'sse-user' })).body
    t.same(
      history.slice(1).map((row: any) => [row.message_type, row.content, row.application]),
      [
        ['human', QUESTION, 'sse-app'],
        ['tool', "Let's do the math together 🧮", 'sse-app'],
        ['jelly', final.message, 'sse-app'],
      ],
    )
    t.equal(history.at(-1).id, final.message_id, 'message_id is the answer in /history')
    t.ok(
      server.logs.some((line) => line.msg === 'turn' && line.transport === 'sse'),
      'the turn log names the sse transport',
    )
  })

  t.test('keep-alive comments while a slow tool runs', async (t) => {
    ocean.setDelay(400)
    t.teardown(() => ocean.setDelay(0))
    const messages = await collect(await postStream(url, { user_token: 'sse-slow', message: "What's the latest block?" }))
    const toolAt = messages.findIndex((m) => m.event === 'tool_start')
    const tokenAt = messages.findIndex((m) => m.event === 'final_answer_token')
    t.ok(toolAt >= 0 && tokenAt > toolAt)
    const between = messages.slice(toolAt + 1, tokenAt)
    t.ok(between.length >= 3, `keep-alive comments between tool_start and the answer (${between.length})`)
    t.ok(between.every((m) => m.event === 'comment' && m.data === 'keep-alive'))
    t.equal(messages.at(-1)!.event, 'final_message')
  })

  t.test('bad input is a 400 JSON reply, and nothing is stored', async (t) => {
    const response = await postStream(url, { user_token: 'sse-bad', message: '   ' })
    t.equal(response.status, 400)
    t.match(response.headers.get('content-type'), /application\/json/)
    t.same(await response.json(), { error: 'message must not be empty' })
    const history = (await postJson(`${server.url}/history`, { user_token: 'sse-bad' })).body
    t.same(
      history.map((row: any) => row.message_type),
      ['jelly'],
      'only the greeting',
    )
  })

  t.test('a retry with the same client_message_id streams the stored answer again', async (t) => {
    const send = () => postStream(url, { user_token: 'sse-retry', message: QUESTION, client_message_id: 'sse-retry-1' }).then(collect)
    const first = (await send()).filter((m) => m.event === 'final_message')
    const again = (await send()).filter((m) => m.event === 'final_message')
    t.equal(first.length, 1)
    t.same(JSON.parse(again[0].data), JSON.parse(first[0].data), 'the same answer and message_id')
    const history = (await postJson(`${server.url}/history`, { user_token: 'sse-retry' })).body
    t.equal(history.filter((row: any) => row.message_type === 'human').length, 1, 'the message is stored once')
  })

  t.test('without the Accept header the reply is JSON as before', async (t) => {
    const reply = await postJson(url, { user_token: 'sse-plain', message: QUESTION })
    t.equal(reply.status, 200)
    t.match(reply.body, { response: /600\.6/, message_id: Number })
  })

  // Last: it stops this app (drain, then close). A slow turn keeps it draining, still listening, while the next message comes in.
  t.test('a message refused at once gets its HTTP status and JSON, not an empty stream', async (t) => {
    ocean.setDelay(1500)
    const slow = readSse(await postStream(url, { user_token: 'sse-drain', message: 'What is the circulating supply of DFI?' }))
    // next() by hand: leaving a for-await loop would cancel the response.
    for (let next = await slow.next(); !next.done && next.value.event !== 'tool_start'; next = await slow.next());
    const stopping = server.stop()
    const response = await postStream(url, { user_token: 'sse-late', message: QUESTION })
    t.equal(response.status, 503)
    t.match(response.headers.get('content-type'), /application\/json/)
    t.match(await response.json(), { error: /restarting/ })
    const rest: SseMessage[] = []
    for await (const message of slow) rest.push(message)
    t.equal(rest.at(-1)?.event, 'final_message', 'the turn under way still finishes')
    await stopping
  })
})

t.test('a client that leaves after the first token changes nothing that is stored', async (t) => {
  const answer = 'Jelly counts the waves one by one and every wave gets its own little token so the stream takes a while 🌊'
  const fake = await startFakeOpenAI(() => ({ content: answer, chunkDelayMs: 25 }))
  t.teardown(() => fake.close())
  const server = await listenTestApp(t, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' })

  const abort = new AbortController()
  const response = await postStream(`${server.url}/user_message`, { user_token: 'sse-leaver', message: 'tell me about waves' }, {}, abort.signal)
  for await (const message of readSse(response)) {
    if (message.event === 'final_answer_token') break
  }
  abort.abort()

  const history = await eventually(
    async () => {
      const rows = (await postJson(`${server.url}/history`, { user_token: 'sse-leaver' })).body
      return rows.length === 3 ? rows : undefined
    },
    10_000,
    'the answer to be stored',
  )
  t.same(
    history.map((row: any) => [row.message_type, row.content]),
    [
      ['jelly', history[0].content],
      ['human', 'tell me about waves'],
      ['jelly', answer],
    ],
    'the whole answer is stored although nobody was listening',
  )
  const turn = await eventually(async () => server.logs.find((line) => line.msg === 'turn'), 5000, 'the turn log')
  t.equal(turn.outcome, 'answered')
  t.notOk(
    server.logs.some((line) => line.level >= 50),
    'no error was logged',
  )
})
