// Errors as each transport sends them, shaped in server/errors.ts, and each
// failure logged exactly once, through buildApp's real composition.
import t from 'tap'
import { buildTestApp } from './helpers/app.ts'
import { connectWs, wsTurn } from './helpers/client.ts'

const DATABASE_AWAY = 'Jelly cannot reach its database right now 🪼 Please send your message again in a moment.'
const errorsIn = (logs: Record<string, any>[]) => logs.filter((line) => line.level >= 50)

// One app for the tests that leave it as it was; built first, since the root test
// may end while a slow database (behind a pooler) is still being prepared.
const shared = await buildTestApp(t)

// A database that is away is worth a retry: 503 in words (issue 8), not the generic 500.
t.test('a turn that fails in the database: REST 503 and a socket error, each logged once', async (t) => {
  const { app, db, logs } = await buildTestApp(t)
  await db.sql.end({ timeout: 1 }) // the database goes away

  const reply = await app.inject({ method: 'POST', url: '/user_message', payload: { user_token: 'u1', message: '2+2' } })
  t.equal(reply.statusCode, 503)
  t.same(reply.json(), { error: DATABASE_AWAY })
  t.same(
    errorsIn(logs).map((line) => [line.msg, line.transport]),
    [['turn failed', 'rest']],
    'one error line, from the chat service',
  )

  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const ws = await connectWs(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`)
  t.teardown(() => ws.close())
  const turn = await wsTurn(ws, { type: 'user_message', user_token: 'u1', message: '2+2' })
  t.same(turn.events, [{ type: 'error', error: DATABASE_AWAY }])
  t.equal(errorsIn(logs).length, 2, 'one more, not two')
  t.notMatch(JSON.stringify(turn.events), /CONNECTION|postgres|stack/i, 'no internals')
})

t.test('client errors get a status and words naming the problem, and no error log', async (t) => {
  const { app, logs } = shared
  const before = logs.length
  const missing = await app.inject({ method: 'POST', url: '/user_message', payload: { user_token: 'u1' } })
  t.equal(missing.statusCode, 400)
  t.same(missing.json(), { error: 'message is required' })
  const badJson = await app.inject({ method: 'POST', url: '/user_message', headers: { 'content-type': 'application/json' }, payload: '{"user_token":' })
  t.same([badJson.statusCode, badJson.json()], [400, { error: 'body must be valid JSON' }])
  const text = await app.inject({ method: 'POST', url: '/user_message', headers: { 'content-type': 'text/plain' }, payload: 'hi' })
  t.same([text.statusCode, text.json()], [415, { error: 'body must be JSON sent with Content-Type: application/json' }])
  t.same(errorsIn(logs.slice(before)), [])
})

t.test('a message during shutdown: 503 with words, logged once as information', async (t) => {
  const { app, chat, logs } = await buildTestApp(t)
  await chat.drain(0)
  const reply = await app.inject({ method: 'POST', url: '/user_message', payload: { user_token: 'u1', message: '2+2' } })
  t.equal(reply.statusCode, 503)
  t.match(reply.json().error, /restarting/)
  t.same(errorsIn(logs), [])
  t.equal(logs.filter((line) => line.msg === 'message turned away: shutting down').length, 1)
})

t.test('a whole turn through inject, and the tool runner offered to other transports', async (t) => {
  const { app, logs, tools } = shared
  const before = logs.length
  const reply = await app.inject({ method: 'POST', url: '/user_message', payload: { user_token: 'u2', message: 'What is 20000 divided by 33.3?' } })
  t.equal(reply.statusCode, 200)
  t.match(reply.json(), { response: /600\.6/, message_id: Number })
  t.equal(logs.slice(before).filter((line) => line.msg === 'turn').length, 1)

  const log = app.log as unknown as Parameters<typeof tools.runTool>[2]['log']
  t.same(await tools.runTool('calculator', { expression: '6*7' }, { signal: AbortSignal.timeout(5000), log }), {
    ok: true,
    result: { expression: '6*7', result: 42, formatted: '42' },
  })
  t.match(await tools.runTool('calculator', { expr: '6*7' }, { signal: AbortSignal.timeout(5000), log }), {
    ok: false,
    kind: 'invalid_arguments',
    error: /expression is required/,
  })
})
