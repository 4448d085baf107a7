// The step's tool runner on its own: concurrency, timeouts and failures that
// become results instead of crashing the turn.
import t from 'tap'
import { pino } from 'pino'
import { createToolRunner } from '../agent/run-tool-calls.ts'
import type { AgentEvent } from '../agent/types.ts'
import { ToolError, type Tool } from '../tools/types.ts'

const log = pino({ level: 'silent' })
const slow = (name: string, ms: number, trace: string[] = []): Tool<{ n: number }> => ({
  name,
  description: 'waits',
  startLine: `${name} starts`,
  parameters: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  run: async ({ n }, { signal }) => {
    trace.push(`${name} starts`)
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms)
      signal.addEventListener('abort', () => reject(clearTimeout(timer)), { once: true })
    })
    trace.push(`${name} ends`)
    return { n }
  },
})
const throwing: Tool = {
  name: 'broken',
  description: 'throws',
  startLine: 'breaking',
  parameters: { type: 'object', properties: {} },
  run: async () => {
    throw new TypeError('cannot read properties of undefined')
  },
}
const refusing: Tool = { ...throwing, name: 'refusing', run: async () => Promise.reject(new ToolError('That block does not exist.', 'not_found')) }

t.test('calls of one step run concurrently and keep their order', async (t) => {
  const trace: string[] = []
  const runner = createToolRunner([slow('a', 200, trace), slow('b', 100, trace)], 5000)
  const events: AgentEvent[] = []
  const results = await runner.run(
    [
      { id: '1', name: 'a', arguments: '{"n":1}' },
      { id: '2', name: 'b', arguments: '{"n":2}' },
    ],
    { signal: new AbortController().signal, log, emit: (e) => events.push(e) },
  )
  t.same(trace, ['a starts', 'b starts', 'b ends', 'a ends'], 'the second starts before the first ends')
  t.same(
    results.map((r) => [r.id, r.content]),
    [
      ['1', '{"n":1}'],
      ['2', '{"n":2}'],
    ],
  )
  t.same(
    events.flatMap((e) => (e.type === 'tool_start' ? [e.line] : [])),
    ['a starts', 'b starts'],
  )
  t.same(
    events.flatMap((e) => (e.type === 'tool_end' ? [[e.tool, e.ok]] : [])).sort(),
    [
      ['a', true],
      ['b', true],
    ],
    'each call reports its end',
  )
})

t.test('a tool that throws, refuses or hangs gives an error result', async (t) => {
  const runner = createToolRunner([throwing, refusing, slow('hang', 10_000)], 100)
  const lines: { msg: string; err?: { message: string } }[] = []
  const capture = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const results = await runner.run(
    [
      { id: '1', name: 'broken', arguments: '' },
      { id: '2', name: 'refusing', arguments: '{}' },
      { id: '3', name: 'hang', arguments: '{"n":1}' },
    ],
    { signal: new AbortController().signal, log: capture, emit: () => undefined },
  )
  t.same(
    results.map((r) => r.ok),
    [false, false, false],
  )
  // What broke stays in the log; the caller (a model, an MCP client) gets no internals.
  t.equal(JSON.parse(results[0].content).error, 'The tool failed unexpectedly; the error is in the server log.')
  t.match(lines, [{ msg: 'tool threw', err: { message: /cannot read properties/ } }])
  t.equal(JSON.parse(results[1].content).error, 'That block does not exist.')
  t.match(JSON.parse(results[2].content).error, /longer than 100 ms/)
})

t.test('the turn signal stops running tools', async (t) => {
  const runner = createToolRunner([slow('hang', 10_000)], 60_000)
  const controller = new AbortController()
  setTimeout(() => controller.abort(new Error('turn deadline')), 50)
  const [result] = await runner.run([{ id: '1', name: 'hang', arguments: '{"n":1}' }], { signal: controller.signal, log, emit: () => undefined })
  t.equal(result.ok, false)
})

t.test('huge results are truncated', async (t) => {
  const big: Tool = { ...throwing, name: 'big', run: async () => 'x'.repeat(50_000) }
  const [result] = await createToolRunner([big], 1000).run([{ id: '1', name: 'big', arguments: '{}' }], {
    signal: new AbortController().signal,
    log,
    emit: () => undefined,
  })
  t.ok(result.content.length < 7000)
  t.match(result.content, /truncated\)$/)
})

t.test('runTool runs one tool by name for any caller, with the same checks', async (t) => {
  const runner = createToolRunner([slow('a', 1), refusing], 1000)
  const events: AgentEvent[] = []
  const options = { signal: new AbortController().signal, log, emit: (event: AgentEvent) => events.push(event) }
  t.same(await runner.runTool('a', { n: 3 }, options), { ok: true, result: { n: 3 } })
  t.match(events, [
    { type: 'tool_start', tool: 'a', line: 'a starts' },
    { type: 'tool_end', tool: 'a', ok: true, durationMs: Number },
  ])
  t.same(await runner.runTool('a', { n: 'three' }, options), { ok: false, kind: 'invalid_arguments', error: 'Invalid arguments: n must be a number.' })
  t.same(await runner.runTool('nope', {}, options), { ok: false, kind: 'unknown_tool', error: 'There is no tool named "nope". Available tools: a, refusing.' })
  t.same(await runner.runTool('refusing', {}, options), { ok: false, kind: 'not_found', error: 'That block does not exist.' })
  t.same(
    events.map((event) => [event.type, 'tool' in event && event.tool]),
    [
      ['tool_start', 'a'],
      ['tool_end', 'a'],
      ['tool_start', 'refusing'],
      ['tool_end', 'refusing'],
    ],
    'no tool_start or tool_end for calls that never ran',
  )
  t.match(events.at(-1), { type: 'tool_end', ok: false }, 'a refusal ends not ok')
})
