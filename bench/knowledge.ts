// Knowledge-base benchmark: ingestion of the shared wiki corpus (first run and
// an unchanged second run) and search latency p50/p99 at corpus size and at
// 100,000 synthetic chunks. Standalone: npx tsx bench/knowledge.ts [chunks]
// Prints one JSON object last, for bench/run.ts.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { connectDatabase, type Sql } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { createLocalEmbedder } from '../knowledge/embedders/local.ts'
import type { Embedder } from '../knowledge/embedders/types.ts'
import { createKnowledgeBaseWith } from '../knowledge/index.ts'
import { ingestSource } from '../knowledge/ingest.ts'
import { loadSource } from '../knowledge/sources.ts'
import * as store from '../knowledge/store.ts'
import { words } from '../knowledge/text.ts'

const CORPUS = fileURLToPath(new URL('../../shared/corpus/defichainwiki/', import.meta.url))
const QUESTIONS = fileURLToPath(new URL('../../shared/eval/wiki-dev.jsonl', import.meta.url))
const SYNTHETIC_CHUNKS = Number(process.argv[2] ?? 100_000)
const log = pino({ level: 'silent' })

export interface KnowledgeBenchResult {
  firstIngestMs: number
  unchangedIngestMs: number
  corpusChunks: number
  corpusSearch: { p50Ms: number; p99Ms: number }
  syntheticChunks: number
  syntheticLoadMs: number
  syntheticIndexMs: number
  syntheticSearch: { p50Ms: number; p99Ms: number }
}

export async function benchKnowledge(chunkCount = SYNTHETIC_CHUNKS, say: (line: string) => void = console.log): Promise<KnowledgeBenchResult> {
  const queries = await benchQueries()
  const embedder = createLocalEmbedder()

  const corpus = await withBase(async (sql) => {
    const ingestBoth = async () => {
      const started = performance.now()
      for (const lang of ['en', 'de']) await ingestSource(sql, embedder, await loadSource(join(CORPUS, lang)))
      return performance.now() - started
    }
    const firstIngestMs = await ingestBoth()
    say(`first ingestion (en+de): ${firstIngestMs.toFixed(0)} ms`)
    const unchangedIngestMs = await ingestBoth()
    say(`unchanged re-ingestion: ${unchangedIngestMs.toFixed(0)} ms`)
    const [{ count }] = await sql`select count(*)::int as count from kb_chunks`
    const corpusSearch = await latency(sql, embedder, queries)
    say(`search at ${count} chunks: p50 ${corpusSearch.p50Ms} ms, p99 ${corpusSearch.p99Ms} ms`)
    return { firstIngestMs, unchangedIngestMs, corpusChunks: count as number, corpusSearch }
  })

  const synthetic = await withBase(async (sql) => {
    const vocabulary = await corpusVocabulary()
    await store.prepareBase(sql, embedder, { reset: true })
    // Bulk load as an operator would: rows first, then the HNSW index in one build.
    await sql`drop index kb_chunks_embedding`
    let started = performance.now()
    await loadSynthetic(sql, embedder, vocabulary, chunkCount)
    const syntheticLoadMs = performance.now() - started
    say(`loaded ${chunkCount} synthetic chunks: ${(syntheticLoadMs / 1000).toFixed(1)} s`)
    started = performance.now()
    await sql.unsafe('set maintenance_work_mem = \'512MB\'').catch(() => undefined)
    await sql`create index kb_chunks_embedding on kb_chunks using hnsw (embedding vector_cosine_ops)`
    const syntheticIndexMs = performance.now() - started
    say(`HNSW index build: ${(syntheticIndexMs / 1000).toFixed(1)} s`)
    await sql`analyze kb_chunks`
    const syntheticSearch = await latency(sql, embedder, queries)
    say(`search at ${chunkCount} chunks: p50 ${syntheticSearch.p50Ms} ms, p99 ${syntheticSearch.p99Ms} ms`)
    return { syntheticChunks: chunkCount, syntheticLoadMs, syntheticIndexMs, syntheticSearch }
  })
  return { ...corpus, ...synthetic }
}

async function withBase<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-bench-kb-'))
  const db = await connectDatabase({ dataDir })
  try {
    await migrate(db.sql)
    return await work(db.sql)
  } finally {
    await db.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function benchQueries(): Promise<string[]> {
  const questions = (await readFile(QUESTIONS, 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { question: string }).question)
  const fallback = ['how do I run a masternode?', 'what is impermanent loss', 'wie funktioniert liquidity mining']
  const base = questions.length ? questions : fallback
  // Warm-up is excluded; 200 timed searches.
  return Array.from({ length: 210 }, (_, index) => base[index % base.length])
}

async function latency(sql: Sql, embedder: Embedder, queries: string[]): Promise<{ p50Ms: number; p99Ms: number }> {
  const kb = createKnowledgeBaseWith({ sql, embedder, log })
  const times: number[] = []
  for (const [index, query] of queries.entries()) {
    const started = performance.now()
    await kb.search(query, { k: 5 })
    if (index >= 10) times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const at = (share: number) => Number(times[Math.min(times.length - 1, Math.floor(share * times.length))].toFixed(1))
  return { p50Ms: at(0.5), p99Ms: at(0.99) }
}

async function corpusVocabulary(): Promise<string[]> {
  const pages = [...(await loadSource(join(CORPUS, 'en'))).pages, ...(await loadSource(join(CORPUS, 'de'))).pages]
  return pages.flatMap((page) => page.sections.flatMap((section) => section.blocks.flatMap((block) => words(block))))
}

// Synthetic pages of 20 chunks, ~80 words drawn from the corpus's own word
// stream (so frequent words stay frequent), deterministic.
async function loadSynthetic(sql: Sql, embedder: Embedder, vocabulary: string[], count: number): Promise<void> {
  let seed = 42
  const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32)
  const perPage = 20
  for (let page = 0; page * perPage < count; page++) {
    const chunks = Array.from({ length: Math.min(perPage, count - page * perPage) }, (_, ordinal) => {
      const content = Array.from({ length: 80 }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' ')
      return { ordinal, heading: `Section ${ordinal}`, url: `https://bench.example/page-${page}#s${ordinal}`, content, embedding: [] as number[] }
    })
    const title = `Synthetic page ${page}`
    const vectors = await embedder.embedDocuments(chunks.map((chunk) => store.embeddingText(title, chunk.heading, chunk.content)))
    chunks.forEach((chunk, index) => (chunk.embedding = vectors[index]))
    await store.replaceDocument(
      sql,
      { origin: 'bench', source: `page-${page}`, title, url: `https://bench.example/page-${page}`, lang: page % 2 ? 'de' : 'en', contentHash: String(page) },
      chunks,
    )
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchKnowledge()
  console.log(JSON.stringify(result))
}
