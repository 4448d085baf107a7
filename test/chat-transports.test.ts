// A new user asks the question over each transport, sees the turn in
// /history, the badge and /health, /ready; after a restart on the same
// DATA_DIR everything is still there.
import t from 'tap'
import type { Test } from 'tap'
import { GREETING } from '../server/chat-service.ts'
import { buildTestApp, listenTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'
import { connectSocketIo, connectWs, postJson } from './helpers/client.ts'
import { readTurn, recordSocketIo, recordWs, socketIoSend, wsSend, type ChatFrame } from './helpers/chat.ts'

const QUESTION = 'What is 20000 divided by 33.3?'
const ANSWER = /600\.6/
const TOOL_LINE = "Let's do the math together 🧮"

/** The events of one streamed turn: a tool line first, then tokens that add up to the final message. */
function checkStreamedTurn(t: Test, events: ChatFrame[]) {
  const turn = readTurn(events)
  t.same(turn.errors, [], 'no error event')
  t.same(turn.toolStarts, [TOOL_LINE], 'one tool_start naming what Jelly does')
  t.ok(turn.tokens.length > 1, 'the answer arrives in several final_answer_token pieces')
  t.equal(turn.tokens.join(''), turn.final, 'the tokens concatenate to final_message')
  t.match(turn.final, ANSWER, 'the answer is 600.6…')
  t.ok(turn.order.indexOf('tool_start') < turn.order.indexOf('final_answer_token'), 'tool_start comes before the tokens')
  t.equal(turn.order.at(-1), 'final_message', 'final_message comes last')
  t.equal(turn.order.filter((type) => type === 'final_message').length, 1, 'final_message comes once')
}

/** /history of a user who asked QUESTION once: greeting, human, tool line, Jelly's answer. */
function checkOneTurnHistory(t: Test, history: any[], application: string | null) {
  t.same(
    history.map((entry) => [entry.message_type, entry.content]),
    [
      ['jelly', GREETING],
      ['human', QUESTION],
      ['tool', TOOL_LINE],
      ['jelly', history[3]?.content],
    ],
  )
  t.match(history[3]?.content, ANSWER)
  for (const entry of history) {
    t.equal(entry.application, application, `${entry.message_type} entry keeps application ${application}`)
    t.type(entry.id, 'number')
    t.equal(new Date(entry.timestamp).toISOString(), entry.timestamp, 'timestamp is an ISO date')
  }
  const ids = history.map((entry) => entry.id)
  t.same(
    ids,
    [...ids].sort((a, b) => a - b),
    'oldest first, by id',
  )
  t.equal(new Set(ids).size, ids.length, 'ids are unique')
  const times = history.map((entry) => Date.parse(entry.timestamp))
  t.same(
    times,
    [...times].sort((a, b) => a - b),
    'timestamps never go back',
  )
}

// One app for the whole file, listening for the sockets (REST turns go over the socket
// too; reads of what was stored go through inject); users are kept apart by token.
const server = await listenTestApp(t)
const http = injector(server.app)

t.test('a new user asks the same question over REST, Socket.IO and /ws', async (t) => {
  t.test('REST', async (t) => {
    const reply = await postJson(`${server.url}/user_message`, { user_token: 'rest-user', message: QUESTION, application: 'rest-app' })
    t.equal(reply.status, 200)
    t.match(reply.body, { response: ANSWER })
    const history = await http.post(`/history`, { user_token: 'rest-user' })
    t.equal(history.status, 200)
    checkOneTurnHistory(t, history.body, 'rest-app')
    t.equal(history.body[3].content, reply.body.response, 'the stored answer is the one returned')
    t.equal(history.body[3].id, reply.body.message_id, "message_id is the stored answer's id")
  })

  t.test('Socket.IO with an object', async (t) => {
    const socket = await connectSocketIo(server.url)
    t.teardown(() => void socket.disconnect())
    const recorder = recordSocketIo(socket)
    const events = await socketIoSend(socket, recorder, { user_token: 'sio-user', message: QUESTION, application: 'sio-app' })
    checkStreamedTurn(t, events)
    const history = await http.post(`/history`, { user_token: 'sio-user' })
    checkOneTurnHistory(t, history.body, 'sio-app')
    t.equal(history.body[3].content, readTurn(events).final)
  })

  t.test('Socket.IO with positional arguments and an ack', async (t) => {
    const socket = await connectSocketIo(server.url)
    t.teardown(() => void socket.disconnect())
    const recorder = recordSocketIo(socket)

    const events = await socketIoSend(socket, recorder, 'positional-user', QUESTION, 'positional-app')
    checkStreamedTurn(t, events)
    checkOneTurnHistory(t, (await http.post(`/history`, { user_token: 'positional-user' })).body, 'positional-app')

    const from = recorder.events.length
    const ack = await socket.timeout(10_000).emitWithAck('user_message', 'ack-user', QUESTION)
    t.match(ack, { response: ANSWER }, 'positional without application, with an ack')
    const object = await socket.timeout(10_000).emitWithAck('user_message', { user_token: 'ack-user', message: 'what is 2 plus 2?' })
    t.same(Object.keys(object).sort(), ['message_id', 'response'], 'the ack carries the answer and its message id')
    t.equal(object.response, '2 + 2 = 4 🧮', 'object payload with an ack')
    const finals = recorder.events.slice(from).filter((event) => event.type === 'final_message')
    t.same(
      finals.map((event) => event.message),
      [ack.response, object.response],
      'the socket also got final_message for acked messages',
    )
    t.same(
      finals.map((event) => event.message_id),
      [ack.message_id, object.message_id],
      'final_message and the ack name the same message id',
    )
    const history = (await http.post(`/history`, { user_token: 'ack-user' })).body
    t.same(
      history.map((entry: any) => entry.application),
      [null, null, null, null, null, null, null],
      'no application given: stored as null',
    )
  })

  t.test('plain WebSocket /ws', async (t) => {
    const ws = await connectWs(server.url)
    t.teardown(() => ws.close())
    const recorder = recordWs(ws)
    const events = await wsSend(ws, recorder, { type: 'user_message', user_token: 'ws-user', message: QUESTION, application: 'ws-app' })
    checkStreamedTurn(t, events)
    for (const event of events) {
      const keys = Object.keys(event).sort()
      const expected = { tool_start: ['tool_name', 'type'], final_answer_token: ['token', 'type'], final_message: ['message', 'message_id', 'type'] }[event.type]
      t.same(keys, expected, `${event.type} frame has exactly the contract's fields`)
    }
    checkOneTurnHistory(t, (await http.post(`/history`, { user_token: 'ws-user' })).body, 'ws-app')
  })

  t.test('the badge, health and readiness', async (t) => {
    const badge = await http.get(`/human_message_count`)
    t.equal(badge.status, 200)
    // REST 1 + Socket.IO 1 + positional 1 + ack 2 + /ws 1
    t.match(badge.body, { subject: 'messages', status: '6', color: String })
    t.same(await http.get(`/health`), { status: 200, body: { status: 'ok' } })
    t.same(await http.get(`/ready`), { status: 200, body: { status: 'ready' } })
  })

  t.test('/messages_answers lists every turn, newest first', async (t) => {
    const qa = await http.get(`/messages_answers`)
    t.equal(qa.status, 200, 'open with ADMIN_OPEN=true, the test servers default')
    t.same((await http.get(`/messages_answers`, { authorization: 'Bearer anything' })).body, qa.body, 'a stray Authorization header does no harm')
    t.same(
      qa.body.map((entry: any) => entry.question),
      [QUESTION, 'what is 2 plus 2?', QUESTION, QUESTION, QUESTION, QUESTION],
    )
    for (const entry of qa.body) t.equal(new Date(entry.date).toISOString(), entry.date, 'date is an ISO date')
    t.match(qa.body[0].answer, ANSWER)
    t.equal(qa.body[1].answer, '2 + 2 = 4 🧮')
  })
})

t.test('application is stored per message', async (t) => {
  const send = (message: string, application?: string) =>
    http.post(`/user_message`, { user_token: 'multi-app', message, ...(application === undefined ? {} : { application }) })
  t.equal((await send('1 + 1', 'web')).status, 200)
  t.equal((await send('2 + 2', 'telegram')).status, 200)
  t.equal((await send('3 + 3')).status, 200)
  t.equal((await send('4 + 4', '')).status, 200)
  const history = (await http.post(`/history`, { user_token: 'multi-app' })).body
  t.same(
    history.map((entry: any) => [entry.message_type, entry.application]),
    [
      ['jelly', 'web'],
      ['human', 'web'],
      ['tool', 'web'],
      ['jelly', 'web'],
      ['human', 'telegram'],
      ['tool', 'telegram'],
      ['jelly', 'telegram'],
      ['human', null],
      ['tool', null],
      ['jelly', null],
      ['human', ''],
      ['tool', ''],
      ['jelly', ''],
    ],
  )
})

t.test('a new user is greeted; /history for an unknown token stores nothing', async (t) => {
  const humanMessagesBefore = (await http.get(`/human_message_count`)).body.status
  const answersBefore = (await http.get(`/messages_answers`)).body
  const first = await http.post(`/history`, { user_token: 'brand-new' })
  t.equal(first.status, 200)
  t.equal(first.body.length, 1, 'only the greeting')
  t.match(first.body[0], { message_type: 'jelly', content: GREETING, application: null, id: Number, timestamp: String })
  const again = await http.post(`/history`, { user_token: 'brand-new' })
  t.same(again.body, first.body, 'asking again does not greet twice')

  // Many first contacts at once still make one user with one greeting.
  const racing = await Promise.all(Array.from({ length: 5 }, () => http.post(`/history`, { user_token: 'racer' })))
  for (const reply of racing) t.equal(reply.body.length, 1)
  t.equal(new Set(racing.map((reply) => reply.body[0].id)).size, 1, 'every reply shows the same greeting')

  const badge = await http.get(`/human_message_count`)
  t.equal(badge.body.status, humanMessagesBefore, 'greetings are not human messages')
  t.same((await http.get(`/messages_answers`)).body, answersBefore, 'no turn was answered')
})

// Last: it stops the file's server.
t.test('everything survives a restart on the same DATA_DIR', async (t) => {
  t.equal((await http.post(`/user_message`, { user_token: 'durable', message: QUESTION, application: 'app' })).status, 200)
  t.equal((await http.post(`/user_message`, { user_token: 'durable', message: 'what is 2 times 21?' })).status, 200)
  const users = ['durable', 'rest-user', 'sio-user', 'ws-user', 'multi-app']
  const before = await Promise.all(users.map((user) => http.storedState(user)))
  await server.close()

  const secondHttp = injector((await buildTestApp(t, { DATA_DIR: server.config.dataDir })).app)
  const after = await Promise.all(users.map((user) => secondHttp.storedState(user)))
  t.same(after, before, 'histories, badge and answered questions are unchanged')
  t.equal(after[0].history.length, 7)
  t.same(await secondHttp.get(`/ready`), { status: 200, body: { status: 'ready' } })

  const next = await secondHttp.post(`/user_message`, { user_token: 'durable', message: 'what is 1 plus 1?' })
  t.match(next.body, { response: '1 + 1 = 2 🧮', message_id: Number }, 'the user can go on chatting')
  const history = (await secondHttp.post(`/history`, { user_token: 'durable' })).body
  t.equal(history.length, 10, 'the new turn is appended to the old ones')
  t.ok(history[7].id > before[0].history[6].id, 'new ids continue after the old ones')
  t.equal((await secondHttp.get(`/messages_answers?limit=1`)).body[0].question, 'what is 1 plus 1?')
})
