// Incremental ingestion: a content hash per page decides what is skipped,
// replaced or removed; only new and changed pages are chunked and embedded.
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { Sql } from '../db/connect.ts'
import type { Embedder, TermStats } from './embedders/types.ts'
import type { Page } from './types.ts'
import type { FetchLimits, LoadedSource } from './sources.ts'
import { chunkPage, DEFAULT_CHUNKING } from './chunk.ts'
import * as store from './store.ts'

// Bump when extraction or chunking changes, so every page is rebuilt once.
const PIPELINE_VERSION = 'kb-2'

export interface IngestSummary {
  added: number
  changed: number
  removed: number
  unchanged: number
  failed: number
  chunks: number
  ms: number
  /** Web sources: the page and byte caps and what they held back. */
  limits?: FetchLimits
}

export interface IngestOptions {
  reset?: boolean
  signal?: AbortSignal
  log?: Logger
  onProgress?(done: number, total: number, source: string): void
}

export async function ingestSource(sql: Sql, embedder: Embedder, loaded: LoadedSource, options: IngestOptions = {}): Promise<IngestSummary> {
  const started = Date.now()
  await store.prepareBase(sql, embedder, { reset: options.reset ?? false, signal: options.signal })
  const existing = new Map((await store.listDocuments(sql, loaded.origin)).map((doc) => [doc.source, doc]))
  const stats = embedder.termBuckets ? await store.readTermStats(sql, embedder.bucketCount ?? 0) : undefined
  const summary: IngestSummary = {
    added: 0,
    changed: 0,
    removed: 0,
    unchanged: 0,
    failed: loaded.failures.length,
    chunks: 0,
    ms: 0,
    ...(loaded.limits ? { limits: loaded.limits } : {}),
  }

  let done = 0
  for (const page of loaded.pages) {
    options.signal?.throwIfAborted()
    const hash = pageHash(page)
    const previous = existing.get(page.source)
    existing.delete(page.source)
    if (previous?.contentHash === hash) {
      summary.unchanged++
    } else {
      if (previous && stats) countTerms(stats, embedder, await store.documentChunkTexts(sql, previous.id), -1)
      const chunks = chunkPage(page, DEFAULT_CHUNKING)
      const texts = chunks.map((chunk) => store.embeddingText(page.title, chunk.heading, chunk.content))
      const vectors = await embedder.embedDocuments(texts, options.signal)
      await store.replaceDocument(
        sql,
        { origin: loaded.origin, source: page.source, title: page.title, url: page.url, lang: page.lang, contentHash: hash },
        chunks.map((chunk, ordinal) => ({ ...chunk, ordinal, embedding: vectors[ordinal] })),
      )
      if (stats) countTerms(stats, embedder, texts, +1)
      summary.chunks += chunks.length
      if (previous) summary.changed++
      else summary.added++
    }
    options.onProgress?.(++done, loaded.pages.length, page.source)
  }

  // Pages that failed to load this time are kept: a flaky fetch is not a
  // removal; nor is a page the caps held back.
  const failed = new Set([...loaded.failures.map((failure) => failure.source), ...(loaded.notFetched ?? [])])
  for (const gone of existing.values()) {
    if (failed.has(gone.source)) continue
    if (stats) countTerms(stats, embedder, await store.documentChunkTexts(sql, gone.id), -1)
    await store.deleteDocument(sql, gone.id)
    summary.removed++
  }
  for (const failure of loaded.failures) options.log?.warn({ source: failure.source }, `skipped ${failure.source}: ${failure.error}`)

  const touched = summary.added + summary.changed + summary.removed > 0
  if (stats && touched) await store.writeTermStats(sql, stats)
  else if (touched) await store.touchMeta(sql)
  if (touched) await store.analyze(sql)
  summary.ms = Date.now() - started
  return summary
}

function pageHash(page: Page): string {
  return createHash('sha256').update(PIPELINE_VERSION).update(JSON.stringify(page)).digest('hex')
}

function countTerms(stats: TermStats, embedder: Embedder, texts: string[], delta: 1 | -1): void {
  for (const text of texts) {
    for (const bucket of embedder.termBuckets!(text)) stats.df[bucket] += delta
    stats.chunks += delta
  }
}

export function formatSummary(summary: IngestSummary): string {
  const failed = summary.failed ? `, ${summary.failed} failed` : ''
  const text =
    `Pages: ${summary.added} added, ${summary.changed} changed, ${summary.removed} removed, ${summary.unchanged} unchanged${failed}; ` +
    `${summary.chunks} chunks embedded in ${(summary.ms / 1000).toFixed(1)} s`
  return summary.limits ? `${text}; ${formatLimits(summary.limits)}` : text
}

function formatLimits(limits: FetchLimits): string {
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
  const parts = [`fetched ${mb(limits.bytes)} of the ${mb(limits.maxBytes)} byte cap`, `page cap ${limits.maxPages}`]
  if (limits.overPageCap) parts.push(`${limits.overPageCap} pages over the page cap not fetched`)
  if (limits.overByteCap) parts.push(`${limits.overByteCap} pages not fetched after the byte cap`)
  if (limits.offOrigin) parts.push(`${limits.offOrigin} sitemap entries on other origins skipped`)
  return parts.join(', ')
}
