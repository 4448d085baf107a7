// Hybrid retrieval in one SQL round trip: nearest chunks by cosine distance
// (HNSW) and best full-text matches (GIN, stemmed per language), fused with
// weighted reciprocal rank fusion. The full-text query ORs the question's
// lexemes so a natural question matches on any of its distinctive words.
import pgvector from 'pgvector'
import type { Sql } from '../db/connect.ts'

/** The usual RRF constant: damps the weight of the very first ranks. */
const RRF_K = 60
// Full-text leaves out lexemes found in more than this share of chunks (but
// always keeps those in at most COMMON_FLOOR): like stopwords, they rank
// nothing, and ranking their many matches would cost most of the time at scale.
const COMMON_SHARE = 0.05
const COMMON_FLOOR = 100
// The word-hashing vectors rank better than whole words on paraphrased
// questions (their n-grams meet other spellings and word forms), so the
// full-text list only adds a smaller share: enough to lift an exact rare word.
const FTS_WEIGHT = 0.3
// Full-text ranks at most about this many matching chunks: the rarest of the
// question's lexemes are taken while their chunk counts add up to it, so the
// cost stays flat as the base grows (a small base never reaches it).
const MATCH_BUDGET = 1000
// HNSW candidate list size (never below the rows asked for).
const EF_SEARCH = 100

export interface RankedChunk {
  documentId: number
  source: string
  title: string
  url: string
  heading: string
  content: string
  lang: string
  score: number
}

export async function hybridSearch(
  sql: Sql,
  query: { text: string; vector: number[]; langs: string[] | null; ftsLang: string; candidates: number },
): Promise<RankedChunk[]> {
  const vector = pgvector.toSql(query.vector) as string
  const { langs, candidates } = query
  return sql.begin(async (tx) => {
    // Filtered HNSW scans keep going until enough rows pass the filter. The
    // planner underrates reading whole vectors from TOAST and would rather
    // scan every chunk of a mid-sized base than walk the index: forbid that.
    const settings = tx`
      select set_config('hnsw.ef_search', ${String(Math.max(EF_SEARCH, candidates))}, true),
        set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('enable_seqscan', 'off', true)`.execute()
    // Without a language, no filter at all: a catch-all predicate would keep
    // the planner from the index order on a generic plan.
    const inLangs = (alias: string) => (langs ? tx`and ${tx(alias)}.lang = any(${langs}::text[])` : tx``)
    const search = tx`
      with vec as (
        select id, row_number() over (order by distance) as rank
        from (
          select v.id, v.embedding <=> ${vector}::vector as distance from kb_chunks v
          where true ${inLangs('v')}
          order by v.embedding <=> ${vector}::vector limit ${candidates}
        ) nearest
      ),
      rare as (
        select q.lexeme, sum(k.chunks) over (order by k.chunks, q.lexeme) as matches
        from unnest(tsvector_to_array(to_tsvector(kb_ts_config(${query.ftsLang}), ${query.text}))) as q(lexeme)
        join kb_lexemes k on k.lexeme = q.lexeme
        where k.chunks <= greatest(${COMMON_FLOOR}, ${COMMON_SHARE} * (select greatest(reltuples, 0) from pg_class where oid = 'kb_chunks'::regclass))
      ),
      terms as (
        select string_agg(quote_literal(lexeme), ' | ')::tsquery as query from rare where matches <= ${MATCH_BUDGET}
      ),
      fts as (
        select id, row_number() over (order by score desc, id) as rank
        from (
          select c.id, ts_rank(c.tsv, terms.query, 1) as score from kb_chunks c, terms
          where terms.query is not null and c.tsv @@ terms.query ${inLangs('c')}
          order by score desc limit ${candidates}
        ) matches
      ),
      fused as (
        select id, sum(share) as score
        from (select id, 1.0 / (${RRF_K} + rank) as share from vec union all select id, ${FTS_WEIGHT}::float8 / (${RRF_K} + rank) from fts) ranked
        group by id
      )
      select c.document_id, d.source, d.title, c.url, c.heading, c.content, c.lang, f.score::float8 as score
      from fused f join kb_chunks c on c.id = f.id join kb_documents d on d.id = c.document_id
      order by f.score desc, c.id`
    // Awaited together: if the connection fails, neither failure goes unhandled.
    const [, rows] = await Promise.all([settings, search])
    return rows.map((row) => ({
      documentId: Number(row.document_id),
      source: row.source,
      title: row.title,
      url: row.url,
      heading: row.heading,
      content: row.content,
      lang: row.lang,
      score: row.score,
    }))
  })
}
