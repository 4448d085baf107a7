// The LLM loop through the app (listenTestApp: Socket.IO and /ws need a socket):
// the real openai SDK talks to a scripted fake provider on 127.0.0.1.
import t, { type Test } from 'tap'
import { listenTestApp } from './helpers/app.ts'
import { connectSocketIo, connectWs, postJson, socketIoTurn, wsTurn } from './helpers/client.ts'
import { startFakeOpenAI, type ChatRequest, type Script } from './fakes/openai.ts'

const PROVIDER_ENV = { OPENAI_API_KEY: 'sk-test', LLM_MODEL: 'gpt-4o-mini' }

// An app build costs seconds: tests with the default configuration share one
// server and one fake provider, which each test scripts afresh; they see only
// their own requests and log lines. Tests that need other settings start their own.
const current: { script: Script; requests: number; logs: number } = { script: () => ({ content: '' }), requests: 0, logs: 0 }
const sharedFake = await startFakeOpenAI((request, call) => current.script(request, call - current.requests))
t.teardown(() => sharedFake.close())
const sharedServer = await listenTestApp(t, { OPENAI_BASE_URL: sharedFake.url, ...PROVIDER_ENV })

async function setup(t: Test, script: Script, env: Record<string, string> = {}) {
  if (Object.keys(env).length) {
    const fake = await startFakeOpenAI(script)
    t.teardown(() => fake.close())
    const server = await listenTestApp(t, { OPENAI_BASE_URL: fake.url, ...PROVIDER_ENV, ...env })
    return { fake, server }
  }
  Object.assign(current, { script, requests: sharedFake.requests.length, logs: sharedServer.logs.length })
  const { requests, logs } = current
  return {
    fake: {
      get requests() {
        return sharedFake.requests.slice(requests)
      },
    },
    server: {
      url: sharedServer.url,
      get logs() {
        return sharedServer.logs.slice(logs)
      },
    },
  }
}

const toolMessages = (request: ChatRequest) => request.messages.filter((m) => m.role === 'tool')
const lastUser = (request: ChatRequest) => request.messages.filter((m) => m.role === 'user').at(-1)?.content

t.test('one tool: tool_start, streamed tokens, final message, stored transcript', async (t) => {
  const { fake, server } = await setup(
    t,
    (request, call) =>
      call === 0
        ? { toolCalls: [{ name: 'calculator', arguments: '{"expression":"20000 / 33.3"}' }] }
        : { content: `That makes ${JSON.parse(toolMessages(request)[0].content!).formatted} 🌊`, chunkDelayMs: 60 }, // longer than TOKEN_FLUSH_MS: each piece its own token
  )
  const socket = await connectSocketIo(server.url)
  t.teardown(() => socket.close())
  const turn = await socketIoTurn(socket, { user_token: 'llm-one', message: 'What is 20000 divided by 33.3?', application: 'web' })

  t.same(
    turn.events.map((e) => e.type).filter((type, i, all) => type !== all[i - 1]),
    ['tool_start', 'final_answer_token', 'final_message'],
  )
  t.equal(turn.events[0].tool_name, "Let's do the math together 🧮")
  const tokens = turn.events.filter((e) => e.type === 'final_answer_token').map((e) => e.token)
  t.ok(tokens.length > 2, 'the answer arrives in several tokens')
  t.equal(tokens.join(''), turn.final)
  t.equal(turn.final, 'That makes 600.600600601 🌊')

  const first = fake.requests[0]
  t.equal(first.messages[0].role, 'system')
  t.match(first.messages[0].content, /Jelly/)
  t.match(first.messages[0].content, new RegExp(new Date().toISOString().slice(0, 10)))
  t.ok(
    first.tools?.some((tool) => tool.function.name === 'calculator'),
    'the tool registry is sent as JSON Schemas',
  )
  t.equal(first.stream, true)

  const history = await postJson(`${server.url}/history`, { user_token: 'llm-one' })
  t.same(
    history.body.map((m: { message_type: string }) => m.message_type),
    ['jelly', 'human', 'tool', 'jelly'],
  )
  t.equal(history.body[3].content, turn.final)
  t.equal(history.body[2].application, 'web')
})

t.test('two tool calls in one response run concurrently and both results go back', async (t) => {
  const { fake, server } = await setup(t, (request, call) => {
    if (call === 0) {
      return {
        toolCalls: [
          { name: 'calculator', arguments: '{"expression":"2+2"}' },
          { name: 'calculator', arguments: '{"expression":"3*3"}' },
        ],
      }
    }
    const results = toolMessages(request).map((m) => JSON.parse(m.content!).formatted)
    return { content: `Results: ${results.join(' and ')}` }
  })
  const ws = await connectWs(server.url)
  t.teardown(() => ws.close())
  const turn = await wsTurn(ws, { type: 'user_message', user_token: 'llm-two', message: 'two sums please' })
  t.equal(turn.events.filter((e) => e.type === 'tool_start').length, 2)
  t.equal(turn.final, 'Results: 4 and 9')
  const second = fake.requests[1]
  const assistant = second.messages.find((m) => m.role === 'assistant' && m.tool_calls)
  t.equal(assistant?.tool_calls?.length, 2)
  t.same(
    toolMessages(second).map((m) => m.tool_call_id),
    (assistant?.tool_calls as { id: string }[]).map((c) => c.id),
    'each result answers its call',
  )
  // Both tool lines are stored with the answer, in one statement: between the question and the answer.
  const stored = (await postJson(`${server.url}/history`, { user_token: 'llm-two' })).body as { message_type: string; content: string; id: number }[]
  t.same(
    stored.map((m) => m.message_type),
    ['jelly', 'human', 'tool', 'tool', 'jelly'],
  )
  t.equal(stored.at(-1)?.content, 'Results: 4 and 9')
  t.ok(stored[2].id < stored[3].id && stored[3].id < stored[4].id, 'ids in the order the lines started')
})

t.test('a two-step chain feeds the first result into the second call', async (t) => {
  const { fake, server } = await setup(t, (request, call) => {
    const results = toolMessages(request).map((m) => JSON.parse(m.content!))
    if (call === 0) return { toolCalls: [{ name: 'calculator', arguments: '{"expression":"2^10"}' }] }
    if (call === 1) return { toolCalls: [{ name: 'calculator', arguments: JSON.stringify({ expression: `${results[0].formatted} + 5` }) }] }
    return { content: `The answer is ${results[1].formatted}.` }
  })
  const { body } = await postJson(`${server.url}/user_message`, { user_token: 'llm-chain', message: "what's 2^10 + 5" })
  t.equal(body.response, 'The answer is 1029.')
  t.equal(fake.requests.length, 3)
})

t.test('malformed arguments, schema violations and unknown tools come back as tool errors the model can recover from', async (t) => {
  const { fake, server } = await setup(t, (_request, call) => {
    if (call === 0) {
      return {
        toolCalls: [
          { name: 'calculator', arguments: '{"expression": "2+' },
          { name: 'calculator', arguments: '{"expr": 1}' },
          { name: 'teleport', arguments: '{}' },
        ],
      }
    }
    return { content: 'Sorry, let me try that differently.' }
  })
  const { status, body } = await postJson(`${server.url}/user_message`, { user_token: 'llm-bad', message: 'break things' })
  t.equal(status, 200)
  t.equal(body.response, 'Sorry, let me try that differently.')
  const results = toolMessages(fake.requests[1]).map((m) => JSON.parse(m.content!).error)
  t.match(results[0], /not valid JSON/)
  t.match(results[1], /expression is required/)
  t.match(results[2], /no tool named "teleport"/)
})

t.test('a tool error (division by zero) is handed to the model', async (t) => {
  const { fake, server } = await setup(t, (request, call) =>
    call === 0 ? { toolCalls: [{ name: 'calculator', arguments: '{"expression":"1/0"}' }] } : { content: `Oops: ${JSON.parse(toolMessages(request)[0].content!).error}` },
  )
  const { body } = await postJson(`${server.url}/user_message`, { user_token: 'llm-div', message: '1/0?' })
  t.equal(body.response, 'Oops: Division by zero is undefined.')
  t.equal(fake.requests.length, 2)
})

t.test('the step limit ends tool use and asks for a final answer without tools', async (t) => {
  const { fake, server } = await setup(
    t,
    (request) =>
      request.tool_choice === 'none' ? { content: 'Final answer after too many steps.' } : { toolCalls: [{ name: 'calculator', arguments: '{"expression":"1+1"}' }] },
    { MAX_TOOL_ROUNDS: '2' },
  )
  const { body } = await postJson(`${server.url}/user_message`, { user_token: 'llm-limit', message: 'loop forever' })
  t.equal(body.response, 'Final answer after too many steps.')
  t.equal(fake.requests.length, 3, 'two tool rounds, then one call without tools')
  t.equal(fake.requests[2].tool_choice, 'none')
})

t.test('429 then success is retried', async (t) => {
  const { fake, server } = await setup(t, (_request, call) => (call < 2 ? { status: call === 0 ? 429 : 503 } : { content: 'Third time lucky 🐚' }))
  const { body } = await postJson(`${server.url}/user_message`, { user_token: 'llm-retry', message: 'hello there, how are you' })
  t.equal(body.response, 'Third time lucky 🐚')
  t.equal(fake.requests.length, 3)
})

t.test('a provider that keeps failing: offline mode answers with the usual events', async (t) => {
  const { fake, server } = await setup(t, () => ({ status: 500 }))
  const socket = await connectSocketIo(server.url)
  t.teardown(() => socket.close())
  const turn = await socketIoTurn(socket, { user_token: 'llm-down', message: 'What is 20000 divided by 33.3?' })
  t.match(turn.final, /600\.6/)
  t.equal(turn.events[0].type, 'tool_start')
  t.equal(
    turn.events
      .filter((e) => e.type === 'final_answer_token')
      .map((e) => e.token)
      .join(''),
    turn.final,
  )
  t.notMatch(turn.final, /sorry|error/i, 'no apology')
  t.equal(fake.requests.length, 4, 'retried before falling back')
})

t.test('a provider that rejects the request (401) falls back at once', async (t) => {
  const { fake, server } = await setup(t, () => ({ status: 401 }))
  const { body } = await postJson(`${server.url}/user_message`, { user_token: 'llm-401', message: '2+2' })
  t.match(body.response, /= 4/)
  t.equal(fake.requests.length, 1)
})

t.test('the second turn carries the history window', async (t) => {
  const { fake, server } = await setup(t, (request) => ({ content: `You said: ${lastUser(request)}` }), { HISTORY_WINDOW: '3' })
  for (const message of ['first message', 'second message', 'third message']) {
    await postJson(`${server.url}/user_message`, { user_token: 'llm-memory', message })
  }
  const third = fake.requests[2].messages.map((m) => `${m.role}:${m.content}`)
  t.same(third.slice(1), ['assistant:You said: first message', 'user:second message', 'assistant:You said: second message', 'user:third message'])
  const second = fake.requests[1].messages.map((m) => `${m.role}:${m.content}`)
  t.same(second.slice(1, 3), [`assistant:${second[1].slice('assistant:'.length)}`, 'user:first message'], 'greeting and first exchange')
  t.match(second[1], /Jelly/)
})

t.test('event order on /ws matches Socket.IO and tokens are in order', async (t) => {
  const long = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ')
  const { server } = await setup(t, (_request, call) => (call === 0 ? { toolCalls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }] } : { content: long }))
  const ws = await connectWs(server.url)
  t.teardown(() => ws.close())
  const turn = await wsTurn(ws, { type: 'user_message', user_token: 'llm-ws', message: 'count' })
  const types = turn.events.map((e) => e.type)
  t.equal(types[0], 'tool_start')
  t.equal(types.at(-1), 'final_message')
  t.equal(
    turn.events
      .filter((e) => e.type === 'final_answer_token')
      .map((e) => e.token)
      .join(''),
    long,
  )
  t.equal(turn.final, long)
})

t.test('model, tool rounds, usage and cost are logged once per turn', async (t) => {
  const { server } = await setup(t, (_request, call) =>
    call === 0
      ? { toolCalls: [{ name: 'calculator', arguments: '{"expression":"1+1"}' }], usage: { prompt_tokens: 1000, completion_tokens: 10 } }
      : { content: 'ok', usage: { prompt_tokens: 1200, completion_tokens: 490 } },
  )
  const { body } = await postJson(`${server.url}/user_message`, { user_token: 'llm-usage', message: 'hello there, how are you' })
  t.equal(body.response, 'ok')
  const turns = server.logs.filter((line) => line.msg === 'turn')
  t.equal(turns.length, 1)
  t.match(turns[0], {
    mode: 'llm',
    model: 'gpt-4o-mini',
    toolRounds: 1,
    tools: ['calculator'],
    usage: { promptTokens: 2200, completionTokens: 500 },
    outcome: 'answered',
  })
  // gpt-4o-mini: $0.15 in, $0.60 out per million tokens
  t.equal(Number(turns[0].costUsd.toFixed(8)), Number(((2200 * 0.15 + 500 * 0.6) / 1e6).toFixed(8)))
  t.notOk(JSON.stringify(server.logs).includes('llm-usage'), 'the user token is not logged')
})
