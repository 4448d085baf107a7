// Prometheus metrics (prom-client), one registry per server, created once at
// start. Updated from the same events and results the turn log is written from;
// every other part reports with one line, e.g. `metrics.socketOpened('sse')`.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { AgentResult } from '../agent/types.ts'
import type { RefusalReason } from './turn-limits.ts'

const TURN_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 60]
const TOOL_SECONDS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 15]

export interface TurnRecord {
  transport: string
  mode: AgentResult['mode'] | 'none'
  outcome: 'answered' | 'failed' | 'replayed'
  durationMs: number
  firstTokenMs?: number
  result?: AgentResult
}

export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const turns = new Counter({ name: 'jelly_turns_total', help: 'Chat turns by transport, mode and outcome', labelNames: ['transport', 'mode', 'outcome'], registers })
  const turnSeconds = new Histogram({
    name: 'jelly_turn_duration_seconds',
    help: 'Whole turn, from the stored question to the stored answer',
    labelNames: ['transport', 'mode'],
    buckets: TURN_SECONDS,
    registers,
  })
  const firstToken = new Histogram({
    name: 'jelly_time_to_first_token_seconds',
    help: 'From the start of a turn to its first answer token',
    labelNames: ['transport', 'mode'],
    buckets: TURN_SECONDS,
    registers,
  })
  const toolCalls = new Counter({ name: 'jelly_tool_calls_total', help: 'Tool calls by tool and outcome', labelNames: ['tool', 'outcome'], registers })
  const toolSeconds = new Histogram({
    name: 'jelly_tool_duration_seconds',
    help: 'Tool call duration',
    labelNames: ['tool', 'outcome'],
    buckets: TOOL_SECONDS,
    registers,
  })
  const llmRequests = new Counter({ name: 'jelly_llm_requests_total', help: 'Requests to the LLM provider by outcome', labelNames: ['outcome'], registers })
  const llmRetries = new Counter({ name: 'jelly_llm_retries_total', help: 'LLM requests that were retries of a failed one', registers })
  const fallbacks = new Counter({ name: 'jelly_llm_fallbacks_total', help: 'Turns answered offline because the LLM provider failed', registers })
  const tokens = new Counter({ name: 'jelly_llm_tokens_total', help: 'LLM tokens by kind (prompt, completion)', labelNames: ['kind'], registers })
  const cost = new Counter({ name: 'jelly_llm_cost_usd_total', help: 'LLM cost in USD, from LLM_PRICES', registers })
  const refused = new Counter({
    name: 'jelly_refused_messages_total',
    help: 'Messages refused by a limit, by reason and transport',
    labelNames: ['reason', 'transport'],
    registers,
  })
  const sockets = new Gauge({ name: 'jelly_sockets_connected', help: 'Open streaming connections by transport', labelNames: ['transport'], registers })
  const dbQueries = new Counter({ name: 'jelly_db_queries_total', help: 'SQL statements sent to the database', registers })
  const dbPool = new Gauge({ name: 'jelly_db_pool_max_connections', help: 'Connections the database pool may open', registers })
  const ingestRuns = new Counter({
    name: 'jelly_ingest_runs_total',
    help: 'Knowledge-base ingestion runs by trigger (start, schedule) and outcome',
    labelNames: ['trigger', 'outcome'],
    registers,
  })
  const ingestPages = new Counter({ name: 'jelly_ingest_pages_total', help: 'Pages seen by ingestion runs, by what happened to them', labelNames: ['change'], registers })
  const feedback = new Counter({ name: 'jelly_feedback_total', help: 'Answer ratings by rating', labelNames: ['rating'], registers })

  return {
    registry,
    turn({ transport, mode, outcome, durationMs, firstTokenMs, result }: TurnRecord): void {
      turns.inc({ transport, mode, outcome })
      turnSeconds.observe({ transport, mode }, durationMs / 1000)
      if (firstTokenMs !== undefined) firstToken.observe({ transport, mode }, firstTokenMs / 1000)
      if (!result) return
      if (result.mode === 'fallback') fallbacks.inc()
      if (result.usage) {
        tokens.inc({ kind: 'prompt' }, result.usage.promptTokens)
        tokens.inc({ kind: 'completion' }, result.usage.completionTokens)
      }
      if (result.costUsd) cost.inc(result.costUsd)
    },
    toolCall(tool: string, ok: boolean, durationMs: number): void {
      const outcome = ok ? 'ok' : 'error'
      toolCalls.inc({ tool, outcome })
      toolSeconds.observe({ tool, outcome }, durationMs / 1000)
    },
    llmRequest(ok: boolean, retry: boolean): void {
      llmRequests.inc({ outcome: ok ? 'ok' : 'error' })
      if (retry) llmRetries.inc()
    },
    refused(reason: RefusalReason, transport: string): void {
      refused.inc({ reason, transport })
    },
    socketOpened(transport: string): void {
      sockets.inc({ transport })
    },
    socketClosed(transport: string): void {
      sockets.dec({ transport })
    },
    dbQuery(): void {
      dbQueries.inc()
    },
    dbPoolSize(max: number): void {
      dbPool.set(max)
    },
    ingestRun(trigger: 'start' | 'schedule', outcome: 'ok' | 'failed' | 'skipped', pages?: { added: number; changed: number; unchanged: number; removed: number }): void {
      ingestRuns.inc({ trigger, outcome })
      if (!pages) return
      for (const change of ['added', 'changed', 'unchanged', 'removed'] as const) ingestPages.inc({ change }, pages[change])
    },
    feedback(rating: 'up' | 'down'): void {
      feedback.inc({ rating })
    },
  }
}

export type Metrics = ReturnType<typeof createMetrics>
