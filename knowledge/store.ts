// SQL for the knowledge base: the embedder record, documents with their
// chunks, and the term statistics the local embedder weights queries with.
import pgvector from 'pgvector'
import type postgres from 'postgres'
import type { Sql } from '../db/connect.ts'
import type { Embedder, TermStats } from './embedders/types.ts'
import { KnowledgeError } from './types.ts'

/** Largest dimension pgvector's HNSW index takes for `vector`; above it search is exact. */
const HNSW_MAX_DIMENSION = 2000

export interface BaseMeta {
  embedder: string
  dimension: number
  updatedAt: Date
}

export interface StoredDocument {
  id: number
  source: string
  contentHash: string
}

export interface NewChunk {
  ordinal: number
  heading: string
  url: string
  content: string
  embedding: number[]
}

export async function readMeta(sql: Sql): Promise<BaseMeta | undefined> {
  const [row] = await sql`select embedder, dimension, updated_at from kb_meta`
  return row ? { embedder: row.embedder, dimension: row.dimension, updatedAt: row.updated_at } : undefined
}

export function mismatchError(meta: BaseMeta, embedder: Embedder): KnowledgeError {
  const wanted = embedder.dimension ? `"${embedder.name}" (${embedder.dimension} dimensions)` : `"${embedder.name}"`
  return new KnowledgeError(
    `The knowledge base was built with the embedder "${meta.embedder}" (${meta.dimension} dimensions), but EMBEDDING_MODEL now selects ${wanted}. ` +
      'Re-ingest with --reset to rebuild it with the current embedder, e.g. npm run ingest -- <folder|sitemap-url|page-url> --reset',
  )
}

export function sameEmbedder(meta: BaseMeta, embedder: Embedder): boolean {
  return meta.embedder === embedder.name && (embedder.dimension === undefined || embedder.dimension === meta.dimension)
}

/**
 * Makes the base ready for this embedder: on first use (or --reset) fixes the
 * embedding column's dimension and builds its HNSW index; refuses a base built
 * by another embedder unless it is empty.
 */
export async function prepareBase(sql: Sql, embedder: Embedder, options: { reset: boolean; signal?: AbortSignal }): Promise<void> {
  const meta = await readMeta(sql)
  if (meta && !options.reset) {
    if (sameEmbedder(meta, embedder)) {
      embedder.dimension ??= meta.dimension
      return
    }
    const [{ count }] = await sql`select count(*)::int as count from kb_documents`
    if (count > 0) throw mismatchError(meta, embedder)
  }
  const dimension = embedder.dimension ?? (await embedder.embedDocuments(['dimension probe'], options.signal))[0].length
  await sql.begin(async (tx) => {
    await tx`delete from kb_documents`
    await tx`delete from kb_lexemes`
    await tx`delete from kb_meta`
    await tx`drop index if exists kb_chunks_embedding`
    await tx.unsafe(`alter table kb_chunks alter column embedding type vector(${Number(dimension)})`)
    await createEmbeddingIndex(tx, dimension)
    await tx`insert into kb_meta (embedder, dimension) values (${embedder.name}, ${dimension})`
  })
}

/** The HNSW index the vector search uses (none above the dimensions HNSW takes: search is then exact). */
export async function createEmbeddingIndex(sql: Sql | postgres.TransactionSql, dimension: number): Promise<void> {
  if (dimension <= HNSW_MAX_DIMENSION) {
    await sql`create index kb_chunks_embedding on kb_chunks using hnsw (embedding vector_cosine_ops)`
  }
}

export async function listDocuments(sql: Sql, origin: string): Promise<StoredDocument[]> {
  const rows = await sql`select id, source, content_hash from kb_documents where origin = ${origin}`
  return rows.map((row) => ({ id: Number(row.id), source: row.source, contentHash: row.content_hash }))
}

/** The texts that were embedded for a document's chunks (to take them out of the term statistics). */
export async function documentChunkTexts(sql: Sql, documentId: number): Promise<string[]> {
  const rows = await sql`
    select d.title, c.heading, c.content from kb_chunks c join kb_documents d on d.id = c.document_id
    where c.document_id = ${documentId} order by c.ordinal`
  return rows.map((row) => embeddingText(row.title, row.heading, row.content))
}

/** What is embedded for a chunk: page title and heading path give the passage its context. */
export function embeddingText(title: string, heading: string, content: string): string {
  return `${title}\n${heading}\n${content}`
}

export async function replaceDocument(
  sql: Sql,
  document: { origin: string; source: string; title: string; url: string; lang: string; contentHash: string },
  chunks: NewChunk[],
): Promise<void> {
  await sql.begin(async (tx) => {
    const [previous] = await tx`select id from kb_documents where origin = ${document.origin} and source = ${document.source}`
    if (previous) await removeDocument(tx, Number(previous.id))
    const [{ id }] = await tx`
      insert into kb_documents (origin, source, title, url, lang, content_hash)
      values (${document.origin}, ${document.source}, ${document.title}, ${document.url}, ${document.lang}, ${document.contentHash})
      returning id`
    if (!chunks.length) return
    await tx`
      insert into kb_chunks (document_id, ordinal, heading, url, content, lang, tsv, embedding)
      select ${id}, c.ordinal, c.heading, c.url, c.content, ${document.lang},
        setweight(to_tsvector(kb_ts_config(${document.lang}), ${document.title}), 'A') ||
        setweight(to_tsvector(kb_ts_config(${document.lang}), c.heading), 'B') ||
        setweight(to_tsvector(kb_ts_config(${document.lang}), c.content), 'D'),
        c.embedding::vector
      from unnest(
        ${chunks.map((chunk) => chunk.ordinal)}::int[], ${chunks.map((chunk) => chunk.heading)}::text[],
        ${chunks.map((chunk) => chunk.url)}::text[], ${chunks.map((chunk) => chunk.content)}::text[],
        ${chunks.map((chunk) => pgvector.toSql(chunk.embedding) as string)}::text[]
      ) as c(ordinal, heading, url, content, embedding)`
    await countLexemes(tx, Number(id), 1)
  })
}

export interface PageChunk {
  pageUrl: string
  title: string
  heading: string
  url: string
  content: string
}

/** All chunks of the pages with these URLs, each page in reading order (at most `limit` chunks a page). */
export async function readPageChunks(sql: Sql, pageUrls: string[], limit: number): Promise<PageChunk[]> {
  if (!pageUrls.length) return []
  const rows = await sql`
    select d.url as page_url, d.title, c.heading, c.url, c.content
    from kb_documents d join lateral (
      select heading, url, content, ordinal from kb_chunks where document_id = d.id order by ordinal limit ${limit}
    ) c on true
    where d.url = any(${pageUrls}::text[])
    order by array_position(${pageUrls}::text[], d.url), d.id, c.ordinal`
  return rows.map((row) => ({ pageUrl: row.page_url, title: row.title, heading: row.heading, url: row.url, content: row.content }))
}

export async function deleteDocument(sql: Sql, documentId: number): Promise<void> {
  await sql.begin((tx) => removeDocument(tx, documentId))
}

async function removeDocument(tx: postgres.TransactionSql, documentId: number): Promise<void> {
  await countLexemes(tx, documentId, -1)
  await tx`delete from kb_documents where id = ${documentId}`
}

async function countLexemes(tx: postgres.TransactionSql, documentId: number, sign: 1 | -1): Promise<void> {
  await tx`
    insert into kb_lexemes (lexeme, chunks)
    select lexeme, ${sign} * count(*) from kb_chunks, unnest(tsvector_to_array(tsv)) as lexeme
    where document_id = ${documentId} group by lexeme
    on conflict (lexeme) do update set chunks = kb_lexemes.chunks + excluded.chunks`
  if (sign < 0) await tx`delete from kb_lexemes where chunks <= 0`
}

export async function readTermStats(sql: Sql, bucketCount: number): Promise<TermStats> {
  const [row] = await sql`select term_df, term_chunks from kb_meta`
  const df = new Int32Array(bucketCount)
  const bytes: Buffer | null = row?.term_df ?? null
  if (bytes && bytes.byteLength === bucketCount * 4) {
    df.set(new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)))
  }
  return { chunks: row?.term_chunks ?? 0, df }
}

export async function writeTermStats(sql: Sql, stats: TermStats): Promise<void> {
  const bytes = Buffer.from(stats.df.buffer, stats.df.byteOffset, stats.df.byteLength)
  await sql`update kb_meta set term_df = ${bytes}, term_chunks = ${stats.chunks}, updated_at = now()`
}

export async function touchMeta(sql: Sql): Promise<void> {
  await sql`update kb_meta set updated_at = now()`
}

/**
 * After a change: fresh row counts (the search's common-word cut-off and the
 * planner use them), and the full-text index's pending list merged in (new
 * rows wait there, and every search would scan it: 5 ms at 100k chunks).
 */
export async function analyze(sql: Sql): Promise<void> {
  await sql`analyze kb_chunks, kb_lexemes`
  await sql`select gin_clean_pending_list('kb_chunks_tsv'::regclass)`
}
