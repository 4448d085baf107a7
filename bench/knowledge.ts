// Knowledge-base benchmark: ingestion of the shared wiki corpus (first run and
// an unchanged second run), search latency p50/p99 at corpus size and at
// 100,000 synthetic chunks, and the offline answer's retrieval with the event
// loop's longest block at corpus size. Standalone: npx tsx bench/knowledge.ts [chunks]
// (or BENCH_CHUNKS=20000 for a quicker run). The synthetic base is built once
// and reused from the temp folder by later runs (the output says so).
// Prints one JSON object last, for bench/run.ts.
import { createHash } from 'node:crypto'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
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
const MIGRATIONS = fileURLToPath(new URL('../migrations/', import.meta.url))
// Bump when the synthetic data or the way it is loaded changes: part of the
// cache key, with the files that shape the base (schema, store, embedder).
const SYNTHETIC_VERSION = 'synthetic-v3'
const SHAPING_FILES = ['../knowledge/store.ts', '../knowledge/embedders/local.ts', '../knowledge/text.ts']
const SYNTHETIC_CHUNKS = Number(process.argv[2] ?? process.env.BENCH_CHUNKS ?? 100_000)
const log = pino({ level: 'silent' })

export interface KnowledgeBenchResult {
  firstIngestMs: number
  unchangedIngestMs: number
  corpusChunks: number
  corpusSearch: { p50Ms: number; p99Ms: number }
  /** The offline answer's retrieval (search, page, line ranking) of the dev questions, and the event loop's longest block meanwhile. */
  corpusAnswer: { p50Ms: number; p99Ms: number; longestBlockMs: number }
  /** The longest event-loop block while a 4,000-character message of wiki words is answered (the worst case). */
  longMessageBlockMs: number
  syntheticChunks: number
  syntheticLoadMs: number
  syntheticIndexMs: number
  /** True when the synthetic base was reused from an earlier run (load and index times are from that run). */
  syntheticCached: boolean
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
    const corpusAnswer = await answerLatency(sql, embedder, queries)
    say(
      `offline answer's retrieval at ${count} chunks: p50 ${corpusAnswer.p50Ms} ms, p99 ${corpusAnswer.p99Ms} ms; longest event-loop block ${corpusAnswer.longestBlockMs} ms`,
    )
    const longMessageBlockMs = await longMessageBlock(sql, embedder)
    say(`a 4,000-character message of wiki words: longest event-loop block ${longMessageBlockMs} ms (least of 5)`)
    return { firstIngestMs, unchangedIngestMs, corpusChunks: count as number, corpusSearch, corpusAnswer, longMessageBlockMs }
  })

  const base = await syntheticBase(chunkCount, say)
  const db = await connectDatabase({ dataDir: base.dataDir })
  try {
    const syntheticSearch = await latency(db.sql, embedder, queries)
    say(`search at ${chunkCount} chunks: p50 ${syntheticSearch.p50Ms} ms, p99 ${syntheticSearch.p99Ms} ms`)
    const synthetic = { syntheticChunks: chunkCount, syntheticLoadMs: base.loadMs, syntheticIndexMs: base.indexMs, syntheticCached: base.cached, syntheticSearch }
    return { ...corpus, ...synthetic }
  } finally {
    await db.close()
  }
}

// The synthetic base takes minutes to build, so it is built once and kept in
// the temp folder under a key of its version and of what shapes it (schema,
// store, embedder): later runs reuse it until one of them changes.
async function syntheticBase(count: number, say: (line: string) => void): Promise<{ dataDir: string; cached: boolean; loadMs: number; indexMs: number }> {
  const hash = createHash('sha256').update(`${SYNTHETIC_VERSION} ${count}`)
  for (const file of SHAPING_FILES) hash.update(await readFile(fileURLToPath(new URL(file, import.meta.url)), 'utf8'))
  for (const name of (await readdir(MIGRATIONS)).sort()) hash.update(await readFile(join(MIGRATIONS, name), 'utf8'))
  const dataDir = join(tmpdir(), `jelly-bench-kb-${count}-${hash.digest('hex').slice(0, 12)}`)
  const readyFile = join(dataDir, 'bench-ready.json')
  const ready = await readFile(readyFile, 'utf8').catch(() => undefined)
  if (ready) {
    const timings = JSON.parse(ready) as { loadMs: number; indexMs: number }
    say(`reusing the cached ${count}-chunk base in ${dataDir} (built in ${((timings.loadMs + timings.indexMs) / 1000).toFixed(1)} s; delete it to rebuild)`)
    return { dataDir, cached: true, ...timings }
  }
  await removeStaleBases(count, dataDir)
  const db = await connectDatabase({ dataDir })
  try {
    await migrate(db.sql)
    const embedder = createLocalEmbedder()
    await store.prepareBase(db.sql, embedder, { reset: true })
    // Bulk load as an operator would: rows first, then the HNSW index in one build.
    await db.sql`drop index kb_chunks_embedding`
    let started = performance.now()
    await loadSynthetic(db.sql, embedder, await corpusVocabulary(), count)
    const loadMs = performance.now() - started
    say(`loaded ${count} synthetic chunks: ${(loadMs / 1000).toFixed(1)} s`)
    started = performance.now()
    await db.sql.begin(async (tx) => {
      await tx`set local maintenance_work_mem = '1GB'`
      await store.createEmbeddingIndex(tx, embedder.dimension!)
    })
    const indexMs = performance.now() - started
    say(`HNSW index build: ${(indexMs / 1000).toFixed(1)} s`)
    await store.analyze(db.sql)
    await db.sql`checkpoint`
    await writeFile(readyFile, JSON.stringify({ loadMs, indexMs }))
    return { dataDir, cached: false, loadMs, indexMs }
  } finally {
    await db.close()
  }
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
  return percentiles(times)
}

async function answerLatency(sql: Sql, embedder: Embedder, queries: string[]): Promise<{ p50Ms: number; p99Ms: number; longestBlockMs: number }> {
  const kb = createKnowledgeBaseWith({ sql, embedder, log })
  const times: number[] = []
  const delay = monitorEventLoopDelay({ resolution: 5 })
  for (const [index, query] of queries.entries()) {
    if (index === 10) delay.enable()
    const started = performance.now()
    await kb.retrieve(query)
    if (index >= 10) times.push(performance.now() - started)
  }
  delay.disable()
  return { ...percentiles(times), longestBlockMs: Number((delay.max / 1e6).toFixed(1)) }
}

// As test/knowledge-event-loop.test.ts builds it: the distinct words of the pages a broad question retrieves.
async function longMessageBlock(sql: Sql, embedder: Embedder): Promise<number> {
  const kb = createKnowledgeBaseWith({ sql, embedder, log })
  const hits = await kb.search('masternode reward liquidity mining vault collateral', { k: 5 })
  const chunks = await kb.pageChunks([...new Set(hits.map((hit) => hit.url.replace(/#.*$/, '')))])
  const distinct = [...new Set(chunks.flatMap((chunk) => chunk.content.split(/\s+/)).filter((word) => /^[a-z]{4,}$/i.test(word)))]
  let message = ''
  for (let i = 0; message.length < 3980; i++) message += `${distinct[i % distinct.length]} `
  message = message.trim()
  await kb.retrieve(message)
  const blocks: number[] = []
  for (let attempt = 0; attempt < 5; attempt++) {
    const delay = monitorEventLoopDelay({ resolution: 5 })
    delay.enable()
    await kb.retrieve(message)
    await new Promise((resolve) => setTimeout(resolve, 20))
    delay.disable()
    blocks.push(delay.max / 1e6)
  }
  return Number(Math.min(...blocks).toFixed(1))
}

function percentiles(times: number[]): { p50Ms: number; p99Ms: number } {
  times.sort((a, b) => a - b)
  const at = (share: number) => Number(times[Math.min(times.length - 1, Math.floor(share * times.length))].toFixed(1))
  return { p50Ms: at(0.5), p99Ms: at(0.99) }
}

async function corpusVocabulary(): Promise<string[]> {
  const pages = [...(await loadSource(join(CORPUS, 'en'))).pages, ...(await loadSource(join(CORPUS, 'de'))).pages]
  return pages.flatMap((page) => page.sections.flatMap((section) => section.blocks.flatMap((block) => words(block))))
}

// Bases of this size built by other versions (a few GB each), unless in use.
async function removeStaleBases(count: number, keep: string): Promise<void> {
  await rm(keep, { recursive: true, force: true })
  for (const name of await readdir(tmpdir())) {
    const dir = join(tmpdir(), name)
    if (!name.startsWith(`jelly-bench-kb-${count}-`) || dir === keep) continue
    const holder = Number(await readFile(join(dir, 'jelly.lock'), 'utf8').catch(() => ''))
    if (holder && isRunning(holder)) continue
    await rm(dir, { recursive: true, force: true })
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

// Synthetic pages of 20 chunks of ~80 words, deterministic. Most words are
// drawn from the corpus's own word stream (so frequent words stay frequent);
// one in ten comes from a long Zipf-distributed tail of rarer made-up words, as
// a corpus a hundred times larger would have. Vectors and term statistics come
// from the real embedder, computed while the database inserts the previous batch.
async function loadSynthetic(sql: Sql, embedder: Embedder, vocabulary: string[], count: number): Promise<void> {
  let seed = 42
  const random = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32
  const distinct = [...new Set(vocabulary)]
  const tail = zipfSampler(200_000, 1.1, random)
  const word = () => {
    if (random() >= 0.1) return vocabulary[Math.floor(random() * vocabulary.length)]
    // Ranks past the corpus's own words become variants of them: "staking2s".
    const rank = tail()
    const round = Math.floor(rank / distinct.length)
    return round ? `${distinct[rank % distinct.length]}${round.toString(36)}` : distinct[rank]
  }
  const perPage = 20
  const chunksPerBatch = 1000
  const pages = Math.ceil(count / perPage)
  await sql`
    insert into kb_documents (origin, source, title, url, lang, content_hash)
    select 'bench', 'page-' || p, 'Synthetic page ' || p, 'https://bench.example/page-' || p, case when p % 2 = 1 then 'de' else 'en' end, p::text
    from generate_series(0, ${pages - 1}::int) as p`
  const documents = await sql`select id, title, lang from kb_documents where origin = 'bench' order by id`
  const stats = { chunks: count, df: new Int32Array(embedder.bucketCount ?? 0) }
  let pending: Promise<unknown> | undefined
  for (let first = 0; first < count; first += chunksPerBatch) {
    const rows = Array.from({ length: Math.min(chunksPerBatch, count - first) }, (_, offset) => {
      const index = first + offset
      const page = Math.floor(index / perPage)
      const ordinal = index % perPage
      return {
        documentId: Number(documents[page].id),
        title: documents[page].title as string,
        lang: documents[page].lang as string,
        ordinal,
        heading: `Section ${ordinal}`,
        url: `https://bench.example/page-${page}#s${ordinal}`,
        content: Array.from({ length: 80 }, word).join(' '),
      }
    })
    const texts = rows.map((row) => store.embeddingText(row.title, row.heading, row.content))
    const vectors = await embedder.embedDocuments(texts)
    for (const text of texts) for (const bucket of embedder.termBuckets?.(text) ?? []) stats.df[bucket]++
    await pending
    pending = sql`
      insert into kb_chunks (document_id, ordinal, heading, url, content, lang, tsv, embedding)
      select c.document_id, c.ordinal, c.heading, c.url, c.content, c.lang,
        setweight(to_tsvector(kb_ts_config(c.lang), c.title), 'A') ||
        setweight(to_tsvector(kb_ts_config(c.lang), c.heading), 'B') ||
        setweight(to_tsvector(kb_ts_config(c.lang), c.content), 'D'),
        l2_normalize(c.embedding::vector)
      from unnest(
        ${rows.map((row) => row.documentId)}::bigint[], ${rows.map((row) => row.ordinal)}::int[], ${rows.map((row) => row.title)}::text[],
        ${rows.map((row) => row.heading)}::text[], ${rows.map((row) => row.url)}::text[], ${rows.map((row) => row.content)}::text[],
        ${rows.map((row) => row.lang)}::text[], ${vectors.map(integerVector)}::text[]
      ) as c(document_id, ordinal, title, heading, url, content, lang, embedding)`.execute()
  }
  await pending
  await sql`
    insert into kb_lexemes (lexeme, chunks)
    select lexeme, count(*) from kb_chunks, unnest(tsvector_to_array(tsv)) as lexeme group by lexeme`
  await store.writeTermStats(sql, stats)
}

/** Ranks 0..size-1 with probability ∝ 1/(rank+1)^exponent (inverse CDF over a precomputed table). */
function zipfSampler(size: number, exponent: number, random: () => number): () => number {
  const cumulative = new Float64Array(size)
  let total = 0
  for (let rank = 0; rank < size; rank++) cumulative[rank] = total += 1 / (rank + 1) ** exponent
  return () => {
    const target = random() * total
    let low = 0
    let high = size - 1
    while (low < high) {
      const middle = (low + high) >> 1
      if (cumulative[middle] < target) low = middle + 1
      else high = middle
    }
    return low
  }
}

// The vector scaled to integers (about six significant digits, as a float4
// keeps) and normalized back in SQL: WASM Postgres parses integers about seven
// times faster than decimal fractions, and vector parsing is most of the load.
function integerVector(vector: number[]): string {
  return `[${vector.map((value) => Math.round(value * 1e6)).join(',')}]`
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchKnowledge()
  console.log(JSON.stringify(result))
}
