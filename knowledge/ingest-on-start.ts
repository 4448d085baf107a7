// INGEST_ON_START: the server runs the configured ingestions itself, after it
// is listening, one after another. A server on the embedded database owns it,
// so this is how such a deployment fills and refreshes its knowledge base.
// Ingestion is incremental: pages that did not change cost a hash comparison.
import type { Logger } from 'pino'
import type { Sql } from '../db/connect.ts'
import type { Embedder } from './embedders/types.ts'
import type { IngestJob } from './ingest-args.ts'

export async function ingestOnStart(sql: Sql, embedder: Embedder, jobs: IngestJob[], log: Logger, signal: AbortSignal): Promise<void> {
  if (!jobs.length) return
  // Loaded only when there is something to ingest: the HTML and Markdown parsers are a large part of the start time otherwise.
  const [{ formatSummary, ingestSource }, { loadSource }] = await Promise.all([import('./ingest.ts'), import('./sources.ts')])
  for (const job of jobs) {
    if (signal.aborted) return
    try {
      const loaded = await loadSource(job.source, { lang: job.lang, baseUrl: job.baseUrl, signal })
      for (const failure of loaded.failures) log.warn({ source: failure.source, error: failure.error }, 'page could not be loaded')
      const summary = await ingestSource(sql, embedder, loaded, { reset: job.reset, signal, log })
      log.info({ source: job.source, ...summary }, `ingested: ${formatSummary(summary)}`)
    } catch (error) {
      if (signal.aborted) return
      log.error({ err: error, source: job.source }, 'ingestion on start failed')
    }
  }
}
