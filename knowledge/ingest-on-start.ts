// INGEST_ON_START: the server runs the configured ingestions itself, after it
// is listening, one after another. A server on the embedded database owns it,
// so this is how such a deployment fills and refreshes its knowledge base.
// Ingestion is incremental: pages that did not change cost a hash comparison.
// INGEST_EVERY runs the same jobs again on a schedule, one instance at a time.
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Sql } from '../db/connect.ts'
import { tryLease, type Lease } from '../db/leases.ts'
import type { Embedder } from './embedders/types.ts'
import { jobSourceOptions, type IngestJob } from './ingest-args.ts'
import { formatSummary, ingestSource, type IngestSummary } from './ingest.ts'
import { loadSource } from './sources.ts'

export type IngestRunOutcome = 'ok' | 'failed' | 'skipped'
/** Told about every run, for metrics. */
export type OnIngestRun = (trigger: 'start' | 'schedule', outcome: IngestRunOutcome, summary?: IngestSummary) => void

export async function ingestOnStart(sql: Sql, embedder: Embedder, jobs: IngestJob[], log: Logger, signal: AbortSignal, onRun?: OnIngestRun): Promise<void> {
  for (const job of jobs) {
    if (signal.aborted) return
    try {
      const loaded = await loadSource(job.source, { ...jobSourceOptions(job), signal })
      for (const failure of loaded.failures) log.warn({ source: failure.source, error: failure.error }, 'page could not be loaded')
      const summary = await ingestSource(sql, embedder, loaded, { reset: job.reset, signal, log })
      log.info({ source: job.source, ...summary }, `ingested: ${formatSummary(summary)}`)
      onRun?.('start', 'ok', summary)
    } catch (error) {
      if (signal.aborted) return
      log.error({ err: error, source: job.source }, 'ingestion on start failed')
      onRun?.('start', 'failed')
    }
  }
}

const LEASE = 'knowledge-ingest'
// Renewed while the run lasts; a crashed holder's lease runs out after this.
const LEASE_TTL_MS = 60_000

export interface IngestSchedule {
  sql: Sql
  embedder: Embedder
  jobs: IngestJob[]
  everyMs: number
  log: Logger
  signal: AbortSignal
  onRun?: OnIngestRun
}

/**
 * Runs the jobs every `everyMs` (the next run starts after the last ended) until
 * `signal` aborts; returns what resolves once no run is under way.
 */
export function scheduleIngest(schedule: IngestSchedule): () => Promise<unknown> {
  const holder = randomUUID()
  let running: Promise<unknown> = Promise.resolve()
  const next = () => {
    if (schedule.signal.aborted) return
    const timer = setTimeout(() => {
      running = runScheduled(schedule, holder).finally(next)
    }, schedule.everyMs)
    timer.unref()
    schedule.signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
  }
  next()
  return () => running
}

/** One scheduled run, if no other instance is running one: one summary line whatever happens. */
export async function runScheduled({ sql, embedder, jobs, log, signal, onRun }: IngestSchedule, holder: string): Promise<IngestRunOutcome> {
  let lease: Lease | undefined
  try {
    lease = await tryLease(sql, LEASE, holder, LEASE_TTL_MS)
    if (!lease) {
      log.info({ trigger: 'schedule' }, 'scheduled ingestion skipped: another instance is running it')
      onRun?.('schedule', 'skipped')
      return 'skipped'
    }
  } catch (error) {
    log.error({ err: error, trigger: 'schedule' }, 'scheduled ingestion could not start')
    onRun?.('schedule', 'failed')
    return 'failed'
  }
  const total: IngestSummary = { added: 0, changed: 0, removed: 0, unchanged: 0, failed: 0, chunks: 0, ms: 0 }
  const errors: { source: string; error: string }[] = []
  const started = Date.now()
  try {
    for (const job of jobs) {
      if (signal.aborted) break
      try {
        const loaded = await loadSource(job.source, { ...jobSourceOptions(job), signal })
        errors.push(...loaded.failures.map((failure) => ({ source: failure.source, error: failure.error })))
        // Always incremental: --reset is for the first ingestion only.
        const summary = await ingestSource(sql, embedder, loaded, { reset: false, signal, log })
        for (const key of ['added', 'changed', 'removed', 'unchanged', 'failed', 'chunks'] as const) total[key] += summary[key]
      } catch (error) {
        if (signal.aborted) break
        errors.push({ source: job.source, error: (error as Error).message })
      }
    }
  } finally {
    await lease.release().catch((error: unknown) => log.warn({ err: error }, 'could not release the ingestion lease'))
  }
  total.ms = Date.now() - started
  const outcome: IngestRunOutcome = errors.length && total.added + total.changed + total.unchanged === 0 ? 'failed' : 'ok'
  const line = { trigger: 'schedule', jobs: jobs.length, ...total, errors: errors.slice(0, 5), errorCount: errors.length }
  if (outcome === 'failed') log.error(line, `scheduled ingestion failed: ${errors[0]?.error}`)
  else log.info(line, `scheduled ingestion: ${formatSummary(total)}`)
  onRun?.('schedule', outcome, total)
  return outcome
}
