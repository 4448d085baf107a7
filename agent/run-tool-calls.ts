// Runs one step's tool calls concurrently, each under its own timeout. Every
// failure (unknown tool, arguments that are not JSON or break the schema, a
// throw, a timeout) becomes a tool result the model can read and recover from.
import { Ajv, type ValidateFunction } from 'ajv'
import type { Logger } from 'pino'
import { ToolError, type Tool } from '../tools/types.ts'
import { describeValidationErrors } from '../server/message-input.ts'
import type { AgentEvent } from './types.ts'
import { abortable, deadline } from '../tools/deadline.ts'

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

/** Keeps a tool result from flooding the model's context. */
export const MAX_RESULT_CHARS = 6000

export interface ToolRunner {
  run(calls: ToolCall[], options: { signal: AbortSignal; log: Logger; emit: (event: AgentEvent) => void }): Promise<ToolCallResult[]>
}

export function createToolRunner(tools: Tool[], timeoutMs: number): ToolRunner {
  const ajv = new Ajv({ allErrors: false, coerceTypes: false, strict: false })
  const byName = new Map<string, { tool: Tool; validate: ValidateFunction }>(tools.map((tool) => [tool.name, { tool, validate: ajv.compile(tool.parameters) }]))

  async function runOne(call: ToolCall, { signal, log, emit }: Parameters<ToolRunner['run']>[1]): Promise<ToolCallResult> {
    const fail = (message: string): ToolCallResult => ({ id: call.id, name: call.name, ok: false, content: JSON.stringify({ error: message }) })
    const entry = byName.get(call.name)
    if (!entry) return fail(`There is no tool named "${call.name}". Available tools: ${[...byName.keys()].join(', ')}.`)
    let args: unknown
    try {
      args = call.arguments.trim() ? JSON.parse(call.arguments) : {}
    } catch {
      return fail(`The arguments are not valid JSON: ${call.arguments.slice(0, 200)}`)
    }
    if (!entry.validate(args)) return fail(`Invalid arguments: ${describeValidationErrors(entry.validate.errors ?? [], 'arguments')}.`)

    emit({ type: 'tool_start', tool: call.name, line: entry.tool.startLine })
    const started = performance.now()
    const callDeadline = deadline(timeoutMs, signal)
    let ok = false
    try {
      const result = await abortable(entry.tool.run(args, { signal: callDeadline.signal, log }), callDeadline.signal)
      ok = true
      return { id: call.id, name: call.name, ok: true, content: truncate(typeof result === 'string' ? result : JSON.stringify(result)) }
    } catch (error) {
      if (error instanceof ToolError) return fail(error.message)
      if (callDeadline.expired()) return fail(`The tool took longer than ${timeoutMs} ms and was stopped.`)
      log.error({ err: error, tool: call.name, durationMs: Math.round(performance.now() - started) }, 'tool threw')
      return fail(`The tool failed unexpectedly: ${(error as Error).message ?? String(error)}`)
    } finally {
      callDeadline.release()
      emit({ type: 'tool_end', tool: call.name, ok, durationMs: performance.now() - started })
    }
  }

  return {
    run: (calls, options) => Promise.all(calls.map((call) => runOne(call, options))),
  }
}

function truncate(text: string): string {
  return text.length <= MAX_RESULT_CHARS ? text : `${text.slice(0, MAX_RESULT_CHARS)}… (truncated)`
}
