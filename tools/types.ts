// A tool is data: a name, a description and JSON Schema the model reads, a line
// shown to the user when it starts, run(), and optionally how offline mode
// recognises a request for it and words an answer from its result.
import type { Logger } from 'pino'

export interface JsonSchema {
  type: 'object'
  properties: Record<string, unknown>
  required?: readonly string[]
  additionalProperties?: boolean
}

export interface ToolContext {
  signal: AbortSignal
  log: Logger
}

/** What offline mode knows when it plans: the message and the user's recent ones. */
export interface OfflineContext {
  message: string
  /** The user's earlier messages, oldest first, for follow-ups ("and its vaults?"). */
  recentHumanMessages: string[]
}

export interface OfflinePlanner<Args, Result> {
  /** Arguments read from a message the routing table (agent/offline-routes.ts) sent here; undefined when they are not in it. */
  plan(context: OfflineContext): Args | undefined
  /** Jelly's answer in words, from the tool's result. */
  answer(result: Result, args: Args, context: OfflineContext): string
}

export interface Tool<Args = any, Result = unknown> {
  name: string
  description: string
  parameters: JsonSchema
  /** Human-readable line for the tool_start event, e.g. "Let's do the math together 🧮". */
  startLine: string
  /** Returns a JSON-able result, kept small; throws ToolError for a clear failure. */
  run(args: Args, context: ToolContext): Promise<Result>
  offline?: OfflinePlanner<Args, Result>
}

export type ToolErrorKind = 'invalid_argument' | 'not_found' | 'unavailable' | 'failed'

/** A failure the user or model can act on; its message is shown as is. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly kind: ToolErrorKind = 'failed',
  ) {
    super(message)
    this.name = 'ToolError'
  }
}
