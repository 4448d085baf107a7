// Turns of one user run one after the other, whatever transport they come in
// on; different users run at the same time; a client that disconnects
// mid-turn breaks nothing and its turn is still stored.
import t from 'tap'
import type { Test } from 'tap'
import { GREETING } from '../server/chat-service.ts'
import { startFakeOpenAI } from './fakes/openai.ts'
import { listenTestApp } from './helpers/app.ts'
import { injector, type Injector } from './helpers/inject.ts'
import { connectSocketIo, connectWs } from './helpers/client.ts'
import { endsTurn, eventually, readTurn, recordSocketIo, recordWs, socketIoSend, wsSend } from './helpers/chat.ts'
import { calculatorAnswer, calculatorModel } from './helpers/llm-scripts.ts'

const TOOL_LINE = "Let's do the math together 🧮"
const question = (k: number) => `what is ${k} plus ${k}?`
const offlineAnswer = (k: number) => `${k} + ${k} = ${2 * k} 🧮`
const llmAnswer = (k: number) => calculatorAnswer(String(2 * k))

/** The file's apps listen for the sockets; REST goes through inject. */
async function listening(t: Test, env: Record<string, string> = {}) {
  const app = await listenTestApp(t, env)
  return { ...app, http: injector(app.app) }
}

async function historyOf(server: { http: Injector }, userToken: string): Promise<any[]> {
  return (await server.http.post(`/history`, { user_token: userToken })).body
}

/**
 * History after the greeting is whole turns, never interleaved: human k, its
 * tool line, Jelly's answer to k. Returns the questions' order.
 */
function checkTurnsNotInterleaved(t: Test, history: any[], answerFor: (k: number) => string): number[] {
  t.same(history[0], { ...history[0], message_type: 'jelly', content: GREETING }, 'the greeting comes first')
  const turns = history.slice(1)
  t.equal(turns.length % 3, 0, 'whole turns of three entries')
  const order: number[] = []
  for (let i = 0; i < turns.length; i += 3) {
    const k = Number(/^what is (\d+) plus/.exec(turns[i].content)?.[1])
    order.push(k)
    t.same(
      turns.slice(i, i + 3).map((entry: any) => [entry.message_type, entry.content]),
      [
        ['human', question(k)],
        ['tool', TOOL_LINE],
        ['jelly', answerFor(k)],
      ],
      `turn for ${k} is human, tool, jelly`,
    )
  }
  return order
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

t.test('offline: one user sending at once', async (t) => {
  const server = await listening(t)

  t.test('five REST messages at once are answered one after the other', async (t) => {
    const replies = await Promise.all(range(5).map((k) => server.http.post(`/user_message`, { user_token: 'rest-burst', message: question(k) })))
    replies.forEach((reply, i) => t.match(reply, { status: 200, body: { response: offlineAnswer(i + 1), message_id: Number } }, `answer ${i + 1} matches its question`))
    const order = checkTurnsNotInterleaved(t, await historyOf(server, 'rest-burst'), offlineAnswer)
    t.same([...order].sort(), range(5), 'every question once')
  })

  t.test('five Socket.IO messages emitted at once are answered in order, streams not mixed', async (t) => {
    const socket = await connectSocketIo(server.url)
    t.teardown(() => void socket.disconnect())
    const recorder = recordSocketIo(socket)
    for (const k of range(5)) socket.emit('user_message', 'sio-burst', question(k))
    const events = await recorder.until(endsTurn, { count: 5 })
    // Split the stream at each final_message: each piece is one whole turn.
    const turns: (typeof events)[] = [[]]
    for (const event of events) {
      turns.at(-1)!.push(event)
      if (event.type === 'final_message') turns.push([])
    }
    turns.pop()
    t.equal(turns.length, 5)
    turns.forEach((events, i) => {
      const turn = readTurn(events)
      t.same(turn.toolStarts, [TOOL_LINE], `turn ${i + 1}: its own tool_start`)
      t.equal(turn.tokens.join(''), turn.final, `turn ${i + 1}: its own tokens`)
      t.equal(turn.final, offlineAnswer(i + 1), `turn ${i + 1}: the answer to question ${i + 1}`)
    })
    t.same(checkTurnsNotInterleaved(t, await historyOf(server, 'sio-burst'), offlineAnswer), range(5), 'stored in the order sent')
  })

  t.test('one user on three transports at once', async (t) => {
    const socket = await connectSocketIo(server.url)
    t.teardown(() => void socket.disconnect())
    const ws = await connectWs(server.url)
    t.teardown(() => ws.close())
    const [rest1, sio, wsTurn, rest2] = await Promise.all([
      server.http.post(`/user_message`, { user_token: 'everywhere', message: question(1) }),
      socketIoSend(socket, recordSocketIo(socket), 'everywhere', question(2)),
      wsSend(ws, recordWs(ws), { type: 'user_message', user_token: 'everywhere', message: question(3) }),
      server.http.post(`/user_message`, { user_token: 'everywhere', message: question(4) }),
    ])
    t.equal(rest1.body.response, offlineAnswer(1))
    t.equal(readTurn(sio).final, offlineAnswer(2))
    t.equal(readTurn(wsTurn).final, offlineAnswer(3))
    t.equal(rest2.body.response, offlineAnswer(4))
    const order = checkTurnsNotInterleaved(t, await historyOf(server, 'everywhere'), offlineAnswer)
    t.same([...order].sort(), [1, 2, 3, 4])
  })

  t.test('a new user sending several messages at once is created once, with one greeting', async (t) => {
    await Promise.all(range(3).map((k) => server.http.post(`/user_message`, { user_token: 'eager-newcomer', message: question(k) })))
    const history = await historyOf(server, 'eager-newcomer')
    t.equal(history.filter((entry) => entry.content === GREETING).length, 1, 'one greeting')
    checkTurnsNotInterleaved(t, history, offlineAnswer)
  })

  t.test('a client that disconnects mid-turn breaks nothing; the turn is stored', async (t) => {
    // Socket.IO itself drops events that arrive with the disconnect, so leave once the turn has begun.
    const socket = await connectSocketIo(server.url)
    const recorder = recordSocketIo(socket)
    socket.emit('user_message', 'sio-leaver', question(7))
    await recorder.until((event) => event.type === 'tool_start')
    socket.disconnect()

    const ws = await connectWs(server.url)
    await new Promise<void>((resolve, reject) =>
      ws.send(JSON.stringify({ type: 'user_message', user_token: 'ws-leaver', message: question(8) }), (error) => (error ? reject(error) : resolve())),
    )
    ws.terminate()

    for (const [user, k] of [
      ['sio-leaver', 7],
      ['ws-leaver', 8],
    ] as const) {
      const history = await eventually(
        async () => {
          const history = await historyOf(server, user)
          return history.length === 4 && history
        },
        5000,
        `${user}'s turn to be stored`,
      )
      checkTurnsNotInterleaved(t, history, offlineAnswer)
      t.equal(history[1].content, question(k))
    }
    t.same(
      server.logs.filter((line) => line.level >= 50),
      [],
      'nothing was logged as an error',
    )
    const after = await server.http.post(`/user_message`, { user_token: 'sio-leaver', message: question(9) })
    t.equal(after.body.response, offlineAnswer(9), 'the user can go on chatting')
  })
})

t.test('with an LLM provider (fake OpenAI server)', async (t) => {
  const model = calculatorModel()
  const fake = await startFakeOpenAI(model.script)
  t.teardown(() => fake.close())
  const server = await listening(t, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test' })
  t.beforeEach(() => model.reset())

  t.test('the issue question streams over Socket.IO and /ws like offline', async (t) => {
    const socket = await connectSocketIo(server.url)
    t.teardown(() => void socket.disconnect())
    const ws = await connectWs(server.url)
    t.teardown(() => ws.close())
    const turns = [
      readTurn(await socketIoSend(socket, recordSocketIo(socket), 'llm-sio', 'What is 20000 divided by 33.3?')),
      readTurn(await wsSend(ws, recordWs(ws), { type: 'user_message', user_token: 'llm-ws', message: 'What is 20000 divided by 33.3?' })),
    ]
    t.ok(fake.requests.length >= 4, 'the model was asked (tool call, then answer, per turn)')
    for (const turn of turns) {
      t.same(turn.errors, [])
      t.same(turn.toolStarts, [TOOL_LINE])
      t.ok(turn.tokens.length > 1, 'streamed in pieces')
      t.equal(turn.tokens.join(''), turn.final)
      t.equal(turn.final, calculatorAnswer('600.600600601'))
      t.equal(turn.order.at(-1), 'final_message')
    }
    const history = await historyOf(server, 'llm-sio')
    t.same(
      history.map((entry) => entry.message_type),
      ['jelly', 'human', 'tool', 'jelly'],
    )
    t.equal(history[3].content, turns[0].final)
  })

  t.test('two slow messages from one user run one after the other', async (t) => {
    model.delayMs = 300
    const replies = await Promise.all(range(2).map((k) => server.http.post(`/user_message`, { user_token: 'llm-same', message: question(k) })))
    replies.forEach((reply, i) => t.equal(reply.body.response, llmAnswer(i + 1), `answer ${i + 1} matches its question`))
    t.equal(model.maxConcurrent, 1, 'the model never had two requests of this user at once')
    checkTurnsNotInterleaved(t, await historyOf(server, 'llm-same'), llmAnswer)
  })

  t.test('five messages from one user over Socket.IO at once', async (t) => {
    model.delayMs = 50
    const socket = await connectSocketIo(server.url)
    t.teardown(() => void socket.disconnect())
    const recorder = recordSocketIo(socket)
    for (const k of range(5)) socket.emit('user_message', 'llm-burst', question(k))
    const events = await recorder.until(endsTurn, { count: 5 })
    t.same(
      events.filter((event) => event.type === 'final_message').map((event) => event.message),
      range(5).map(llmAnswer),
      'answered in the order sent',
    )
    t.equal(model.maxConcurrent, 1)
    t.same(checkTurnsNotInterleaved(t, await historyOf(server, 'llm-burst'), llmAnswer), range(5))
  })

  t.test('slow messages from different users run at the same time', async (t) => {
    model.delayMs = 500
    const users = ['llm-a', 'llm-b', 'llm-c']
    const replies = await Promise.all(users.map((user, i) => server.http.post(`/user_message`, { user_token: user, message: question(i + 1) })))
    replies.forEach((reply, i) => t.equal(reply.body.response, llmAnswer(i + 1)))
    // One user's turns never overlap (above), so any overlap here is between users.
    t.ok(model.maxConcurrent >= 2, `users were waiting on the model at the same time (at most ${model.maxConcurrent} at once)`)
    for (const [i, user] of users.entries()) t.same(checkTurnsNotInterleaved(t, await historyOf(server, user), llmAnswer), [i + 1])
  })

  t.test('a client that disconnects while the model is thinking: the turn is still stored', async (t) => {
    model.delayMs = 300
    const socket = await connectSocketIo(server.url)
    const asked = new Promise<void>((resolve) => (model.onRequest = () => resolve()))
    socket.emit('user_message', 'llm-leaver', question(6))
    await asked
    socket.disconnect()
    const history = await eventually(
      async () => {
        const history = await historyOf(server, 'llm-leaver')
        return history.length === 4 && history
      },
      5000,
      'the turn to be stored',
    )
    checkTurnsNotInterleaved(t, history, llmAnswer)
    t.same(
      server.logs.filter((line) => line.level >= 50),
      [],
      'nothing was logged as an error',
    )
  })
})
