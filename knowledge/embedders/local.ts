// The offline embedder: words and character n-grams, hashed into a fixed number
// of dimensions (signed feature hashing), no model files, fully deterministic.
// Documents carry sublinear term frequencies; queries are weighted by inverse
// document frequency (BM25-style: rarity counts once), from statistics the
// store keeps up to date as pages come and go, so documents never need
// re-embedding when the corpus changes.
import type { Embedder, TermStats } from './types.ts'
import { contentWords } from '../text.ts'

// Versioned: when words are split or weighted differently, vectors built before
// no longer match new queries, and a base built by an older version is refused
// with the message to re-ingest with --reset.
export const LOCAL_EMBEDDER_NAME = 'local-hash-v2'
const DIMENSION = 1024
const BUCKET_BITS = 18
const NGRAM_SIZES = [3, 4, 5]
const NGRAM_WEIGHT = 0.6

export function createLocalEmbedder(): Embedder {
  return {
    name: LOCAL_EMBEDDER_NAME,
    dimension: DIMENSION,
    bucketCount: 1 << BUCKET_BITS,
    async embedDocuments(texts) {
      return texts.map((text) => toVector(features(text)))
    },
    async embedQuery(text, stats) {
      const weighted = features(text)
      if (stats && stats.chunks > 0) {
        for (const [hash, weight] of weighted) weighted.set(hash, weight * idf(stats, bucketOf(hash)))
      }
      return toVector(weighted)
    },
    termBuckets(text) {
      return [...new Set([...features(text).keys()].map(bucketOf))]
    },
  }
}

/** Hashed feature → weight (1 + ln tf, n-grams scaled down per word). */
function features(text: string): Map<number, number> {
  const counts = new Map<number, number>()
  const add = (key: string, weight: number) => {
    const hash = fnv1a(key)
    counts.set(hash, (counts.get(hash) ?? 0) + weight)
  }
  for (const word of contentWords(text)) {
    add(`w:${stem(word)}`, 1)
    const padded = `<${word}>`
    const grams: string[] = []
    for (const n of NGRAM_SIZES) for (let i = 0; i + n <= padded.length; i++) grams.push(padded.slice(i, i + n))
    for (const gram of grams) add(`g:${gram}`, NGRAM_WEIGHT / Math.sqrt(grams.length))
  }
  for (const [hash, tf] of counts) counts.set(hash, tf > 1 ? 1 + Math.log(tf) : tf)
  return counts
}

// Light suffix folding so plurals and simple inflections share a word feature;
// the n-grams cover the rest of the morphology. Frozen, and kept apart from
// text.ts's stem() on purpose: stored vectors were hashed with exactly these
// rules, so changing them means a new LOCAL_EMBEDDER_NAME and a re-ingest,
// while the matching stemmer in text.ts may improve freely.
function stem(word: string): string {
  if (/^\d/.test(word) || word.length <= 4) return word
  return word.replace(/(ing|ed|es|en|er|s|e|n)$/, '')
}

// Document frequency per hash bucket (kept in kb_meta by the store), not
// Postgres' full-text statistics: those count lexemes of another stemmer and
// cannot be looked up by this embedder's feature hashes.
function idf(stats: TermStats, bucket: number): number {
  const df = Math.max(0, stats.df[bucket] ?? 0)
  return Math.log(1 + (stats.chunks - df + 0.5) / (df + 0.5))
}

function bucketOf(hash: number): number {
  return hash >>> (32 - BUCKET_BITS)
}

function toVector(weighted: Map<number, number>): number[] {
  const vector = new Float64Array(DIMENSION)
  for (const [hash, weight] of weighted) {
    const sign = (hash >>> 10) & 1 ? 1 : -1
    vector[hash % DIMENSION] += sign * weight
  }
  let norm = 0
  for (const value of vector) norm += value * value
  norm = Math.sqrt(norm) || 1
  return Array.from(vector, (value) => value / norm)
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
