// createLlmAgent on its own, without a server or database: the real openai SDK
// against the scripted fake provider, the real calculator and offline fallback.
import t, { type Test } from 'tap'
import pino from 'pino'
import { createLlmAgent } from '../agent/llm.ts'
import { createOfflineAgent } from '../agent/offline.ts'
import { createToolRunner } from '../agent/run-tool-calls.ts'
import type { AgentEvent } from '../agent/types.ts'
import { mathTool } from '../tools/math.ts'
import { startFakeOpenAI, type Script } from './fakes/openai.ts'

const log = pino({ level: 'silent' })
const PRICES = { 'gpt-4o-mini': { input: 0.15, output: 0.6 } }

async function agentWith(t: Test, script: Script, options: { maxToolRounds?: number; requestTimeoutMs?: number; log?: pino.Logger } = {}) {
  const fake = await startFakeOpenAI(script)
  t.teardown(() => fake.close())
  const tools = [mathTool]
  const runner = createToolRunner(tools, 2000)
  const agent = createLlmAgent({
    tools,
    runner,
    fallback: createOfflineAgent(tools, { runner }),
    model: 'gpt-4o-mini',
    apiKey: 'sk-test',
    baseUrl: fake.url,
    maxToolRounds: options.maxToolRounds ?? 4,
    toolTimeoutMs: 2000,
    prices: PRICES,
    requestTimeoutMs: options.requestTimeoutMs ?? 2000,
    maxAttempts: 2,
  })
  return { fake, agent }
}

async function run(agent: Awaited<ReturnType<typeof agentWith>>['agent'], message: string, turnLog = log) {
  const events: AgentEvent[] = []
  const result = await agent.run({
    message,
    history: [{ role: 'jelly', content: 'Hi!' }],
    signal: AbortSignal.timeout(10_000),
    log: turnLog,
    emit: (event) => events.push(event),
  })
  return { result, events, tokens: events.flatMap((event) => (event.type === 'token' ? [event.token] : [])).join('') }
}

t.test('a tool round: tool_start, then tokens that make up the answer; usage and cost add up', async (t) => {
  const { fake, agent } = await agentWith(t, (request, call) =>
    call === 0
      ? { toolCalls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }], usage: { prompt_tokens: 100, completion_tokens: 10 } }
      : { content: `It is ${JSON.parse(String(request.messages.at(-1)?.content)).formatted} 🌊`, usage: { prompt_tokens: 200, completion_tokens: 20 } },
  )
  const { result, events, tokens } = await run(agent, 'what is 6 times 7')
  t.equal(result.answer, 'It is 42 🌊')
  t.equal(tokens, result.answer)
  t.same(
    events.find((event) => event.type === 'tool_start'),
    { type: 'tool_start', tool: 'calculator', line: "Let's do the math together 🧮" },
  )
  t.same(
    events.flatMap((event) => (event.type === 'token' ? [] : [event.type])),
    ['llm_call', 'tool_start', 'tool_end', 'llm_call'],
    'each provider request and the tool call report their end',
  )
  t.match(result, { mode: 'llm', tools: ['calculator'], toolRounds: 1, usage: { promptTokens: 300, completionTokens: 30 } })
  t.equal(Number(result.costUsd?.toFixed(10)), Number(((300 * 0.15 + 30 * 0.6) / 1e6).toFixed(10)))
  t.same(
    fake.requests[0].messages.slice(1).map((m) => [m.role, m.content]),
    [
      ['assistant', 'Hi!'],
      ['user', 'what is 6 times 7'],
    ],
    'history, then the message',
  )
})

t.test('bad arguments go back to the model as a tool result it can read', async (t) => {
  const { fake, agent } = await agentWith(t, (_request, call) => (call === 0 ? { toolCalls: [{ name: 'calculator', arguments: '{"expr":1}' }] } : { content: 'Sorted.' }))
  const { result } = await run(agent, 'compute')
  t.equal(result.answer, 'Sorted.')
  t.match(String(fake.requests[1].messages.at(-1)?.content), /Invalid arguments: expression is required/)
})

t.test('a failing provider: the offline agent answers, marked as a fallback', async (t) => {
  const { fake, agent } = await agentWith(t, () => ({ status: 500 }))
  const { result, tokens } = await run(agent, 'What is 20000 divided by 33.3?')
  t.equal(fake.requests.length, 2, 'retried once (maxAttempts 2)')
  t.match(result, { mode: 'fallback', tools: ['calculator'], answer: /600\.6/ })
  t.equal(tokens, result.answer)
})

t.test('the step limit asks for an answer without tools', async (t) => {
  const { fake, agent } = await agentWith(
    t,
    (request) => (request.tool_choice === 'none' ? { content: 'Done.' } : { toolCalls: [{ name: 'calculator', arguments: '{"expression":"1+1"}' }] }),
    { maxToolRounds: 1 },
  )
  const { result } = await run(agent, 'loop')
  t.match(result, { answer: 'Done.', toolRounds: 1 })
  t.equal(fake.requests.length, 2)
})

t.test('a stream cut short after text keeps that text as the answer, without a retry', async (t) => {
  const { fake, agent } = await agentWith(t, () => ({ content: 'one two three four five', chunkDelayMs: 5, fault: { afterChunks: 3, kind: 'drop' } }))
  const { result, tokens } = await run(agent, 'count for me')
  t.equal(result.answer, 'one two ')
  t.equal(tokens, result.answer)
  t.equal(result.mode, 'llm')
  t.equal(fake.requests.length, 1)
})

t.test('an error sent inside the stream before any text is retried', async (t) => {
  const { fake, agent } = await agentWith(t, (_request, call) =>
    call === 0 ? { content: 'never sent', fault: { afterChunks: 1, kind: 'error' } } : { content: 'Hello again 🌊' },
  )
  const { result, events, tokens } = await run(agent, 'hello')
  t.equal(result.answer, 'Hello again 🌊')
  t.equal(tokens, result.answer)
  t.equal(fake.requests.length, 2)
  t.same(
    events.filter((event) => event.type === 'llm_call'),
    [
      { type: 'llm_call', ok: false, retry: false },
      { type: 'llm_call', ok: true, retry: true },
    ],
  )
})

t.test('a stream that stalls inside a tool call times out and is retried; no tool runs on half its arguments', async (t) => {
  const { fake, agent } = await agentWith(
    t,
    (_request, call) =>
      call === 0
        ? { toolCalls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }], fault: { afterChunks: 2, kind: 'stall' } }
        : call === 1
          ? { toolCalls: [{ name: 'calculator', arguments: '{"expression":"6*7"}' }] }
          : { content: 'It is 42' },
    { requestTimeoutMs: 300 },
  )
  const { result, events } = await run(agent, 'what is 6 times 7')
  t.equal(result.answer, 'It is 42')
  t.equal(events.filter((event) => event.type === 'tool_start').length, 1)
  t.same(
    events.filter((event) => event.type === 'tool_end').map((event) => event.type === 'tool_end' && event.ok),
    [true],
  )
  t.equal(fake.requests.length, 3)
})

// The provider's HTTP client (agent/provider-http.ts) under the SDK: what it must carry over from the response.
function capturedLog() {
  const lines: Record<string, unknown>[] = []
  return { lines, log: pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) }) }
}

t.test('the provider gets the API key as a bearer token and the request as JSON', async (t) => {
  const { fake, agent } = await agentWith(t, () => ({ content: 'Hello 🪼' }))
  await run(agent, 'hi')
  t.match(fake.headers[0], { authorization: 'Bearer sk-test', 'content-type': 'application/json' })
  t.equal(fake.requests[0].messages.at(-1)?.content, 'hi')
})

t.test("an error status keeps the provider's message and headers: the retry waits the hinted 10 ms", async (t) => {
  const { lines, log: turnLog } = capturedLog()
  const { agent } = await agentWith(t, (_request, call) => (call === 0 ? { status: 503 } : { content: 'Back again 🐙' }))
  const { result } = await run(agent, 'hello', turnLog)
  t.equal(result.answer, 'Back again 🐙')
  t.match(lines, [{ msg: 'LLM call failed; retrying', status: 503, delayMs: 10 }])
})

t.test("a refused call ends the turn offline, logged with the provider's own error message", async (t) => {
  const { lines, log: turnLog } = capturedLog()
  const { agent } = await agentWith(t, () => ({ status: 401 }))
  const { result } = await run(agent, 'what is 1 + 1', turnLog)
  t.equal(result.mode, 'fallback')
  t.match(
    lines.find((line) => line.msg === 'LLM provider failed'),
    { err: { message: /scripted 401/ } },
  )
})

t.test('every answer is read to its end, so one connection serves turn after turn', async (t) => {
  const { fake, agent } = await agentWith(t, (_request, call) =>
    call % 2 === 0 ? { toolCalls: [{ name: 'calculator', arguments: '{"expression":"2+2"}' }] } : { content: 'Four, as always 🌊' },
  )
  for (let turn = 0; turn < 3; turn++) t.equal((await run(agent, 'what is 2 + 2')).result.answer, 'Four, as always 🌊')
  t.equal(fake.requests.length, 6)
  // A second one when the answer's request goes out before the tool call's connection is back in the pool; unread bodies would need six.
  t.ok(fake.connections <= 2, `${fake.connections} connections for 6 requests`)
})
