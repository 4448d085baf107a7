// The knowledge base as the rest of the app sees it: search(query) → passages
// with their sources, on whatever embedder the base was built with.
import type { Logger } from 'pino'
import type { Sql } from '../db/connect.ts'
import { createEmbedder, type Embedder, type EmbedderSettings, type TermStats } from './embedders/index.ts'
import type { SearchHit, SearchOptions } from './types.ts'
import { hybridSearch } from './search.ts'
import { detectLanguage } from './text.ts'
import * as store from './store.ts'
import { retrieve, type Retrieved, type RetrieveOptions } from './retrieve.ts'

export type { SearchHit, SearchOptions } from './types.ts'
export { KnowledgeError } from './types.ts'
export type { PageChunk } from './store.ts'
export type { Highlight, Retrieved, RetrieveOptions } from './retrieve.ts'

export const DEFAULT_K = 5
export const MAX_K = 50

export interface KnowledgeBase {
  embedder: Embedder
  /** Best passages first, by default at most one per page. Empty when nothing is ingested. */
  search(query: string, options?: SearchOptions): Promise<SearchHit[]>
  /** What an answer is drawn from: the lines that answer the query and the best passages, compacted, with their sources. */
  retrieve(query: string, options?: RetrieveOptions): Promise<Retrieved>
  /** Every chunk of these pages (URLs without a #fragment), page by page in reading order. */
  pageChunks(pageUrls: string[], limitPerPage?: number): Promise<store.PageChunk[]>
  /** Languages the base has pages in, e.g. ['de', 'en']; empty for an empty base. */
  languages(): Promise<string[]>
  /** Why the base cannot be searched with this embedder (it was built with another, and needs a re-ingest with --reset); undefined when it can. */
  mismatch(): Promise<string | undefined>
}

export function createKnowledgeBase({ sql, config, log }: { sql: Sql; config: EmbedderSettings; log: Logger }): KnowledgeBase {
  return createKnowledgeBaseWith({ sql, embedder: createEmbedder(config), log })
}

export function createKnowledgeBaseWith({ sql, embedder, log }: { sql: Sql; embedder: Embedder; log: Logger }): KnowledgeBase {
  let cachedStats: { version: number; stats: TermStats } | undefined

  let cachedLangs: { version: number; langs: string[] } | undefined

  // The embedder record on every search (another process may re-ingest); the
  // page languages only when the base changed since they were last read.
  async function state() {
    const [row] = await sql`select embedder, dimension, updated_at from kb_meta`
    if (!row) return undefined
    const meta: store.BaseMeta = { embedder: row.embedder, dimension: row.dimension, updatedAt: row.updated_at }
    const version = meta.updatedAt.getTime()
    if (cachedLangs?.version !== version) {
      const [{ langs }] = await sql`select coalesce(array_agg(distinct lang order by lang), '{}') as langs from kb_documents`
      cachedLangs = { version, langs: langs as string[] }
    }
    if (!cachedLangs.langs.length) return undefined
    return { meta, langs: cachedLangs.langs }
  }

  async function termStats(meta: store.BaseMeta): Promise<TermStats | undefined> {
    if (!embedder.termBuckets) return undefined
    const version = meta.updatedAt.getTime()
    if (cachedStats?.version !== version) {
      cachedStats = { version, stats: await store.readTermStats(sql, embedder.bucketCount ?? 0) }
      log.debug({ chunks: cachedStats.stats.chunks }, 'knowledge base term statistics loaded')
    }
    return cachedStats.stats
  }

  const kb: KnowledgeBase = {
    embedder,
    retrieve: (query, options) => retrieve(kb, query, options),
    async pageChunks(pageUrls, limitPerPage = 60) {
      return store.readPageChunks(sql, pageUrls, limitPerPage)
    },
    async languages() {
      return (await state())?.langs ?? []
    },
    async mismatch() {
      const current = await state()
      return current && !store.sameEmbedder(current.meta, embedder) ? store.mismatchError(current.meta, embedder).message : undefined
    },
    async search(query, options = {}) {
      const k = Math.min(Math.max(1, Math.floor(options.k ?? DEFAULT_K)), MAX_K)
      const text = boundedQuery(query)
      if (!text) return []
      const current = await state()
      if (!current) return []
      if (!store.sameEmbedder(current.meta, embedder)) throw store.mismatchError(current.meta, embedder)
      const vector = await embedder.embedQuery(text, await termStats(current.meta))
      if (vector.length !== current.meta.dimension) throw store.mismatchError(current.meta, { ...embedder, dimension: vector.length })
      // Answer in the question's language when the base has pages in it.
      const wanted = options.lang ?? detectLanguage(text)
      const langs = current.langs.includes(wanted) ? [wanted] : options.lang ? [options.lang] : null
      const ranked = await hybridSearch(sql, { text, vector, langs, ftsLang: wanted, candidates: Math.max(40, k * 4) })
      const perPage = Math.max(1, options.perPage ?? 1)
      const taken = new Map<number, number>()
      const hits: SearchHit[] = []
      for (const chunk of ranked) {
        const count = taken.get(chunk.documentId) ?? 0
        if (count >= perPage) continue
        taken.set(chunk.documentId, count + 1)
        const { source, title, url, heading, content, lang } = chunk
        hits.push({ source, title, url, heading, content, lang, score: Number(chunk.score.toFixed(5)) })
        if (hits.length === k) break
      }
      return hits
    },
  }
  return kb
}

/** Characters of a query searched: a long message is cut at a word boundary, so the SQL's work stays bounded. */
export const MAX_QUERY_CHARS = 500

function boundedQuery(query: string): string {
  const text = query.trim()
  if (text.length <= MAX_QUERY_CHARS) return text
  const cut = text.slice(0, MAX_QUERY_CHARS)
  const space = cut.lastIndexOf(' ')
  return (space > MAX_QUERY_CHARS / 2 ? cut.slice(0, space) : cut).trim()
}
