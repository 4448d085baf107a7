// client_message_id: a retried message (same user, same id) returns the stored
// answer with the same message_id instead of running again, and is stored once,
// on every transport, when retries race, while the first attempt still runs,
// after a restart, and after a crash that lost the answer. The crash is a real
// process (child-server.ts) killed with SIGKILL; the rest goes through buildTestApp().
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { GREETING } from '../server/chat-service.ts'
import { startFakeOpenAI } from './fakes/openai.ts'
import { buildTestApp, listenTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'
import { spawnServer } from './helpers/child-server.ts'
import { freshMigratedDataDir } from './helpers/data-dir.ts'
import { connectSocketIo, connectWs, postJson } from './helpers/client.ts'
import { getJson, readTurn, recordSocketIo, recordWs, socketIoSend, wsSend } from './helpers/chat.ts'
import { calculatorAnswer, calculatorModel } from './helpers/llm-scripts.ts'

const ADMIN_TOKEN = 'admin-token-for-retry-tests'
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }
const TOOL_LINE = "Let's do the math together 🧮"

async function historyOf(server: { app: FastifyInstance }, user_token: string): Promise<[string, string][]> {
  const { body } = await injector(server.app).post('/history', { user_token })
  return body.map((entry: any) => [entry.message_type, entry.content])
}

const oneTurn = (question: string, answer: string): [string, string][] => [
  ['jelly', GREETING],
  ['human', question],
  ['tool', TOOL_LINE],
  ['jelly', answer],
]

t.test('offline, one server', async (t) => {
  const server = await listenTestApp(t, { ADMIN_TOKEN })
  const badge = async () => Number((await getJson(`${server.url}/human_message_count`)).body.status)
  const answered = async () => (await getJson(`${server.url}/messages_answers?limit=500`, ADMIN)).body.length

  t.test('REST: the retry gets the same reply; nothing is stored twice', async (t) => {
    const body = { user_token: 'rest-retry', message: 'what is 6 times 7?', client_message_id: 'c-1' }
    const first = await postJson(`${server.url}/user_message`, body)
    t.match(first, { status: 200, body: { response: '6 * 7 = 42 🧮', message_id: Number } })
    const [humans, answers] = [await badge(), await answered()]
    const again = await postJson(`${server.url}/user_message`, body)
    t.same(again, first, 'same status, answer and message_id')
    t.same(await historyOf(server, 'rest-retry'), oneTurn(body.message, '6 * 7 = 42 🧮'), 'one turn in the history')
    t.equal(await badge(), humans, 'the human message was not counted twice')
    t.equal(await answered(), answers, 'no second question/answer row')
    t.ok(
      server.logs.some((line) => line.msg === 'turn' && line.outcome === 'replayed'),
      'the replay is in the turn log',
    )

    const next = await postJson(`${server.url}/user_message`, { ...body, client_message_id: 'c-2' })
    t.not(next.body.message_id, first.body.message_id, 'another id is another message')
    t.equal((await historyOf(server, 'rest-retry')).length, 7, 'and it is stored')
    const other = await postJson(`${server.url}/user_message`, { ...body, user_token: 'someone-else' })
    t.not(other.body.message_id, first.body.message_id, "the same id from another user is that user's own message")
  })

  t.test('Socket.IO: the retry gets final_message with the same id, and the ack', async (t) => {
    const socket = await connectSocketIo(server.url)
    t.teardown(() => void socket.disconnect())
    const recorder = recordSocketIo(socket)
    const payload = { user_token: 'sio-retry', message: 'what is 5 times 5?', client_message_id: 'sio-1' }
    const first = readTurn(await socketIoSend(socket, recorder, payload))
    const firstId = recorder.events.find((event) => event.type === 'final_message')!.message_id
    const from = recorder.events.length
    const again = await socketIoSend(socket, recorder, payload)
    t.same(
      again,
      [
        { type: 'final_answer_token', token: first.final },
        { type: 'final_message', message: first.final, message_id: firstId },
      ],
      'the stored answer as one token and final_message',
    )
    const ack = await socket.timeout(20_000).emitWithAck('user_message', payload)
    t.same(ack, { response: first.final, message_id: firstId }, 'an ack gets the stored answer too')
    t.ok(recorder.events.length > from)
    t.same(await historyOf(server, 'sio-retry'), oneTurn(payload.message, '5 * 5 = 25 🧮'))
  })

  t.test('/ws: the retry gets final_message with the same id, also after a retry over REST', async (t) => {
    const ws = await connectWs(server.url)
    t.teardown(() => ws.close())
    const recorder = recordWs(ws)
    const frame = { type: 'user_message', user_token: 'ws-retry', message: 'what is 3 times 4?', client_message_id: 'ws-1' }
    const first = await wsSend(ws, recorder, frame)
    const final = first.find((event) => event.type === 'final_message')!
    const again = await wsSend(ws, recorder, frame)
    t.same(again.at(-1), final, 'same final_message frame, same message_id')
    const { type: _type, ...body } = frame
    const rest = await postJson(`${server.url}/user_message`, body)
    t.same(rest.body, { response: final.message, message_id: final.message_id }, 'a retry on another transport gets it too')
    t.same(await historyOf(server, 'ws-retry'), oneTurn(frame.message, '3 * 4 = 12 🧮'))
  })

  t.test('duplicates sent at once run once', async (t) => {
    const body = { user_token: 'racer', message: 'what is 9 times 9?', client_message_id: 'race' }
    const socket = await connectSocketIo(server.url)
    t.teardown(() => void socket.disconnect())
    const ws = await connectWs(server.url)
    t.teardown(() => ws.close())
    const replies = await Promise.all([
      ...Array.from({ length: 4 }, () => postJson(`${server.url}/user_message`, body)),
      socket.timeout(20_000).emitWithAck('user_message', body),
      wsSend(ws, recordWs(ws), { type: 'user_message', ...body }).then((events) => events.at(-1)),
    ])
    const ids = replies.map((reply: any) => reply.body?.message_id ?? reply.message_id)
    t.equal(new Set(ids).size, 1, `one message id for all six: ${ids}`)
    t.same(await historyOf(server, 'racer'), oneTurn(body.message, '9 * 9 = 81 🧮'), 'one turn stored')
  })

  t.test('the same id with another message is refused; the id is checked', async (t) => {
    const body = { user_token: 'reuser', message: 'what is 1 plus 1?', client_message_id: 'same' }
    await postJson(`${server.url}/user_message`, body)
    const conflict = await postJson(`${server.url}/user_message`, { ...body, message: 'what is 2 plus 2?' })
    t.same(conflict, { status: 409, body: { error: 'client_message_id "same" was already used for a different message' } })
    const ws = await connectWs(server.url)
    t.teardown(() => ws.close())
    t.match(
      readTurn(await wsSend(ws, recordWs(ws), { type: 'user_message', ...body, message: 'other' })).errors,
      [/already used for a different message/],
      '/ws: an error frame',
    )
    t.same(await historyOf(server, 'reuser'), oneTurn(body.message, '1 + 1 = 2 🧮'), 'the refused message was not stored')

    for (const [value, error] of [
      ['', /^client_message_id must not be empty$/],
      ['x'.repeat(101), /^client_message_id is too long \(the limit is 100 characters\)$/],
      ['has space', /^client_message_id must be printable ASCII without spaces$/],
      ['ünïcode', /^client_message_id must be printable ASCII without spaces$/],
      [42, /^client_message_id must be a string$/],
    ] as const) {
      const reply = await postJson(`${server.url}/user_message`, { ...body, client_message_id: value })
      t.equal(reply.status, 400, JSON.stringify(value).slice(0, 20))
      t.match(reply.body, { error }, reply.body.error)
    }
    t.ok((await postJson(`${server.url}/user_message`, { ...body, client_message_id: '0190a4b2-7c1e-7def-8abc-1234567890ab' })).status === 200, 'a UUID is fine')
    t.same(
      server.logs.filter((line) => line.level >= 50),
      [],
      'nothing was logged as an error',
    )
  })

  t.test('a retry after a restart returns the stored answer', async (t) => {
    const body = { user_token: 'durable-retry', message: 'what is 7 times 8?', client_message_id: 'before-restart' }
    const first = await postJson(`${server.url}/user_message`, body)
    await server.stop()
    const second = await buildTestApp(t, { DATA_DIR: server.dataDir, ADMIN_TOKEN })
    t.same(await injector(second.app).post('/user_message', body), first, 'same reply from the restarted app')
    t.same(await historyOf(second, 'durable-retry'), oneTurn(body.message, '7 * 8 = 56 🧮'))
    t.notOk(
      second.logs.some((line) => line.msg === 'turn' && line.outcome === 'answered'),
      'the agent did not run again',
    )
  })
})

t.test('with a slow model: the retry waits for the first attempt; after a crash it runs once more', async (t) => {
  const model = calculatorModel()
  const fake = await startFakeOpenAI(model.script)
  t.teardown(() => fake.close())
  const question = 'What is 20000 divided by 33.3?'
  const answer = calculatorAnswer('600.600600601')

  t.test('a retry while the first attempt runs waits for it and gets its answer', async (t) => {
    const server = await listenTestApp(t, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test' })
    model.delayMs = 300
    const asked = new Promise<void>((resolve) => (model.onRequest = () => resolve()))
    const requestsBefore = fake.requests.length
    const body = { user_token: 'patient', message: question, client_message_id: 'slow-1' }
    const socket = await connectSocketIo(server.url)
    t.teardown(() => void socket.disconnect())
    const firstAttempt = socketIoSend(socket, recordSocketIo(socket), body)
    await asked
    model.onRequest = undefined
    // The client gave up on its socket and retries over REST while the model still thinks.
    const retry = await postJson(`${server.url}/user_message`, body)
    const first = readTurn(await firstAttempt)
    t.equal(first.final, answer)
    t.same(retry, { status: 200, body: { response: answer, message_id: retry.body.message_id } })
    t.equal(fake.requests.length - requestsBefore, 2, 'the model was asked once for the turn (tool call, then answer)')
    t.same(await historyOf(server, 'patient'), oneTurn(question, answer))
    model.delayMs = 0
  })

  t.test('the answer was lost in a crash: the retry runs the turn, the question is stored once', async (t) => {
    const dataDir = await freshMigratedDataDir()
    const crashing = await spawnServer(t, { DATA_DIR: dataDir, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test' })
    model.delayMs = 5000
    const asked = new Promise<void>((resolve) => (model.onRequest = () => resolve()))
    const body = { user_token: 'crashed', message: question, client_message_id: 'lost-reply' }
    const lost = postJson(`${crashing.url}/user_message`, body).catch((error: Error) => error)
    await asked
    model.onRequest = undefined
    model.delayMs = 0
    crashing.child.kill('SIGKILL')
    await crashing.exited
    t.type(await lost, Error, 'the client never got its reply')

    const restarted = await buildTestApp(t, { DATA_DIR: dataDir, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test' })
    const http = injector(restarted.app)
    t.same(
      (await historyOf(restarted, 'crashed')).map(([type]) => type),
      ['jelly', 'human'],
      'the question was stored before the crash',
    )
    const retry = await http.post('/user_message', body)
    t.match(retry, { status: 200, body: { response: answer, message_id: Number } })
    t.same(await historyOf(restarted, 'crashed'), oneTurn(question, answer), 'the question once, then the answer')
    t.same(await http.post('/user_message', body), retry, 'a further retry returns the same answer')
  })
})
