// The one way a tool runs, for the LLM loop, the offline agent and any other
// caller (an MCP server): arguments checked against the tool's JSON Schema, a
// timeout, a tool_start event, and every failure (unknown tool, bad arguments,
// a ToolError, a throw, a timeout) turned into words instead of a throw.
import { Ajv, type ValidateFunction } from 'ajv'
import type { Logger } from 'pino'
import { ToolError, type Tool, type ToolErrorKind } from '../tools/types.ts'
import { describeValidationErrors } from '../lib/validation.ts'
import type { AgentEvent } from './types.ts'
import { abortable, deadline } from '../lib/deadline.ts'

export interface ToolCall {
  id: string
  name: string
  arguments: string
}

export interface ToolCallResult {
  id: string
  name: string
  content: string
  ok: boolean
}

/** Why a run failed: a ToolError's kind, or what the runner itself caught. */
export type ToolFailureKind = ToolErrorKind | 'unknown_tool' | 'invalid_arguments' | 'timeout' | 'crashed'

export type ToolOutcome = { ok: true; result: unknown } | { ok: false; kind: ToolFailureKind; error: string }

export interface RunToolOptions {
  signal: AbortSignal
  log: Logger
  /** Receives tool_start once the arguments are valid and the tool begins, and tool_end when it ends. */
  emit?: (event: AgentEvent) => void
}

/** Keeps a tool result from flooding the model's context. */
export const MAX_RESULT_CHARS = 6000

export interface ToolRunner {
  /** The tools offered to callers (the model, MCP). */
  tools: Tool[]
  /** Runs one tool by name; never throws. */
  runTool(name: string, args: unknown, options: RunToolOptions): Promise<ToolOutcome>
  /** Runs one LLM step's calls concurrently; each result is the JSON text the model reads. */
  run(calls: ToolCall[], options: RunToolOptions & { emit: (event: AgentEvent) => void }): Promise<ToolCallResult[]>
}

export interface ToolRunnerOptions {
  /** Tools that run by name but are not offered, e.g. the fine-grained reads offline mode names and the offered groups dispatch to. */
  unlisted?: Tool[]
}

export function createToolRunner(tools: Tool[], timeoutMs: number, options: ToolRunnerOptions = {}): ToolRunner {
  const ajv = new Ajv({ allErrors: false, coerceTypes: false, strict: false })
  const byName = new Map<string, { tool: Tool; validate: ValidateFunction }>(
    [...(options.unlisted ?? []), ...tools].map((tool) => [tool.name, { tool, validate: ajv.compile(tool.parameters) }]),
  )

  const unknownTool = (name: string) => `There is no tool named "${name}". Available tools: ${tools.map((tool) => tool.name).join(', ')}.`

  async function runTool(name: string, args: unknown, { signal, log, emit }: RunToolOptions): Promise<ToolOutcome> {
    const entry = byName.get(name)
    if (!entry) return { ok: false, kind: 'unknown_tool', error: unknownTool(name) }
    if (!entry.validate(args)) {
      return { ok: false, kind: 'invalid_arguments', error: `Invalid arguments: ${describeValidationErrors(entry.validate.errors ?? [], 'arguments')}.` }
    }
    emit?.({ type: 'tool_start', tool: name, line: entry.tool.startLine })
    const started = performance.now()
    const callDeadline = deadline(timeoutMs, signal)
    let ok = false
    try {
      const result = await abortable(entry.tool.run(args, { signal: callDeadline.signal, log }), callDeadline.signal)
      ok = true
      return { ok: true, result }
    } catch (error) {
      if (error instanceof ToolError) return { ok: false, kind: error.kind, error: error.message }
      if (callDeadline.expired()) return { ok: false, kind: 'timeout', error: `The tool took longer than ${timeoutMs} ms and was stopped.` }
      // The turn itself was stopped (its deadline, the server shutting down): the tool did not break.
      if (signal.aborted) return { ok: false, kind: 'timeout', error: 'The tool was stopped before it finished.' }
      log.error({ err: error, tool: name, durationMs: Math.round(performance.now() - started) }, 'tool threw')
      // The detail stays in the log: it may name internals (a database's address), and an MCP caller or the model would pass it on.
      return { ok: false, kind: 'crashed', error: 'The tool failed unexpectedly; the error is in the server log.' }
    } finally {
      callDeadline.release()
      emit?.({ type: 'tool_end', tool: name, ok, durationMs: performance.now() - started })
    }
  }

  async function runCall(call: ToolCall, options: RunToolOptions): Promise<ToolCallResult> {
    const fail = (error: string): ToolCallResult => ({ id: call.id, name: call.name, ok: false, content: JSON.stringify({ error }) })
    if (!byName.has(call.name)) return fail(unknownTool(call.name))
    let args: unknown
    try {
      args = call.arguments.trim() ? JSON.parse(call.arguments) : {}
    } catch {
      return fail(`The arguments are not valid JSON: ${call.arguments.slice(0, 200)}`)
    }
    const outcome = await runTool(call.name, args, options)
    if (!outcome.ok) return fail(outcome.error)
    return { id: call.id, name: call.name, ok: true, content: truncate(typeof outcome.result === 'string' ? outcome.result : JSON.stringify(outcome.result)) }
  }

  return {
    tools,
    runTool,
    run: (calls, options) => Promise.all(calls.map((call) => runCall(call, options))),
  }
}

function truncate(text: string): string {
  return text.length <= MAX_RESULT_CHARS ? text : `${text.slice(0, MAX_RESULT_CHARS)}… (truncated)`
}
