// Knowledge-base benchmark: ingestion of the shared wiki corpus (first run and
// an unchanged second run) and search latency p50/p99 at corpus size and at
// 100,000 synthetic chunks. Standalone: npx tsx bench/knowledge.ts [chunks]
// (or BENCH_CHUNKS=20000 for a quicker run).
// Prints one JSON object last, for bench/run.ts.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import pgvector from 'pgvector'
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
const SYNTHETIC_CHUNKS = Number(process.argv[2] ?? process.env.BENCH_CHUNKS ?? 100_000)
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
    await store.analyze(sql)
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
// stream (so frequent words stay frequent), deterministic. Loaded in bulk, as
// an operator would: many pages per statement, lexeme counts once at the end.
async function loadSynthetic(sql: Sql, embedder: Embedder, vocabulary: string[], count: number): Promise<void> {
  let seed = 42
  const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32)
  const perPage = 20
  const pagesPerBatch = 50
  const pages = Math.ceil(count / perPage)
  for (let first = 0; first < pages; first += pagesPerBatch) {
    const batch = Array.from({ length: Math.min(pagesPerBatch, pages - first) }, (_, offset) => first + offset)
    const documents = await sql`
      insert into kb_documents (origin, source, title, url, lang, content_hash)
      select 'bench', 'page-' || p, 'Synthetic page ' || p, 'https://bench.example/page-' || p, case when p % 2 = 1 then 'de' else 'en' end, p::text
      from unnest(${batch}::int[]) as p
      returning id, title, lang`
    const rows = documents.flatMap((document, index) => {
      const page = batch[index]
      return Array.from({ length: Math.min(perPage, count - page * perPage) }, (_, ordinal) => ({
        documentId: Number(document.id),
        title: document.title as string,
        lang: document.lang as string,
        ordinal,
        heading: `Section ${ordinal}`,
        url: `https://bench.example/page-${page}#s${ordinal}`,
        content: Array.from({ length: 80 }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' '),
      }))
    })
    const vectors = await embedder.embedDocuments(rows.map((row) => store.embeddingText(row.title, row.heading, row.content)))
    await sql`
      insert into kb_chunks (document_id, ordinal, heading, url, content, lang, tsv, embedding)
      select c.document_id, c.ordinal, c.heading, c.url, c.content, c.lang,
        setweight(to_tsvector(kb_ts_config(c.lang), c.title), 'A') ||
        setweight(to_tsvector(kb_ts_config(c.lang), c.heading), 'B') ||
        setweight(to_tsvector(kb_ts_config(c.lang), c.content), 'D'),
        c.embedding::vector
      from unnest(
        ${rows.map((row) => row.documentId)}::bigint[], ${rows.map((row) => row.ordinal)}::int[], ${rows.map((row) => row.title)}::text[],
        ${rows.map((row) => row.heading)}::text[], ${rows.map((row) => row.url)}::text[], ${rows.map((row) => row.content)}::text[],
        ${rows.map((row) => row.lang)}::text[], ${vectors.map((vector) => pgvector.toSql(vector) as string)}::text[]
      ) as c(document_id, ordinal, title, heading, url, content, lang, embedding)`
  }
  await sql`
    insert into kb_lexemes (lexeme, chunks)
    select lexeme, count(*) from kb_chunks, unnest(tsvector_to_array(tsv)) as lexeme group by lexeme`
  await store.touchMeta(sql)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchKnowledge()
  console.log(JSON.stringify(result))
}
