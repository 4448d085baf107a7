// The seam between the chat service and whatever answers: the LLM loop or the
// offline planner. An agent only emits events; it never sees a transport.
import type { Logger } from 'pino'

export type AgentEvent =
  | { type: 'tool_start'; tool: string; line: string }
  | { type: 'token'; token: string }
  /** A tool call finished (for the turn log and metrics; not shown to users). */
  | { type: 'tool_end'; tool: string; ok: boolean; durationMs: number }
  /** One request to the LLM provider ended; `retry` when it repeated a failed one. */
  | { type: 'llm_call'; ok: boolean; retry: boolean }

/**
 * What an agent does inside a turn, for a developer watching (the terminal
 * chat's --debug). Never part of the user's stream; agents built without a
 * trace skip it entirely.
 */
export type AgentTraceEvent =
  | { type: 'llm_request'; model: string; withTools: boolean; messages: unknown[] }
  | { type: 'tool_call'; name: string; arguments: string }
  | { type: 'tool_result'; name: string; ok: boolean; content: string }
  | { type: 'offline_plan'; tool: string | null; args?: unknown; why: string }

export type AgentTrace = (event: AgentTraceEvent) => void

export interface ChatTurn {
  role: 'human' | 'jelly'
  content: string
}

export interface AgentInput {
  message: string
  /** The user's recent human and Jelly messages, oldest first, without the new one. */
  history: ChatTurn[]
  signal: AbortSignal
  /** Aborted when even an answer from what the turn has must end (the server's last moment): a fallback, which outlives `signal`, stops then. */
  lastMoment?: AbortSignal
  log: Logger
  emit(event: AgentEvent): void
}

export interface Usage {
  promptTokens: number
  completionTokens: number
}

export interface AgentResult {
  answer: string
  /** Names of the tools that ran, in start order. */
  tools: string[]
  mode: 'llm' | 'offline' | 'fallback'
  toolRounds?: number
  usage?: Usage
  model?: string
  costUsd?: number
}

export interface Agent {
  run(input: AgentInput): Promise<AgentResult>
}
