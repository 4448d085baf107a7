// An embedder turns text into fixed-length vectors. Its name and dimension are
// recorded with the knowledge base so a base is never queried with another.

/** Document frequencies of hashed terms, kept by the store for embedders that weight queries by rarity. */
export interface TermStats {
  /** Number of chunks counted. */
  chunks: number
  /** Chunks containing each term bucket. */
  df: Int32Array
}

export interface Embedder {
  name: string
  /** Known up front for local embedders; a remote one learns it from its first answer. */
  dimension: number | undefined
  embedDocuments(texts: string[], signal?: AbortSignal): Promise<number[][]>
  embedQuery(text: string, stats?: TermStats, signal?: AbortSignal): Promise<number[]>
  /** Present when queries are weighted by term rarity: the distinct term buckets of a text. */
  termBuckets?(text: string): number[]
  bucketCount?: number
}
