// Retrieval policy for answers: which passages an answer is drawn from and how
// much each counts. The best hits, then the rest of the best page (an answer
// often sits in another section of the page that ranked first), each weighted
// by its rank; the lines that answer; and the best hits cut to their relevant
// lines for a model. The wiki tool only formats what this returns.
import type { SearchHit, SearchOptions } from './types.ts'
import type { PageChunk } from './store.ts'
import { compactPassage, extractAnswer, type Passage } from './extract.ts'

export interface Highlight {
  /** A line of the wiki that answers the query. */
  text: string
  title: string
  heading: string
  url: string
}

export interface Retrieved {
  /** The lines that best answer the query, in reading order, with where they come from. */
  highlights: Highlight[]
  /** The best hits, each cut to its relevant lines within a share of the passage budget. */
  passages: (Passage & { source: string })[]
}

export interface RetrieveOptions {
  /** Characters of highlight text. */
  highlightBudget?: number
  /** Characters of passage text, all passages together. */
  passageBudget?: number
}

/** Hits the answer is drawn from. */
const ANSWER_HITS = 8
/** Hits the model gets, compacted. */
const MODEL_PASSAGES = 4
const PASSAGES_PER_PAGE = 2
/** The best page is read whole, so an answer in another section of it is found too. */
const CONTEXT_PAGES = 1
const CHUNKS_PER_PAGE = 60
/** A passage from the rest of a page counts a little less than a hit of that page. */
const PAGE_CONTEXT_WEIGHT = 0.85
/** The best passage gets the most room. */
const PASSAGE_SHARES = [0.35, 0.25, 0.2, 0.2]

interface Source {
  search(query: string, options?: SearchOptions): Promise<SearchHit[]>
  pageChunks(pageUrls: string[], limitPerPage?: number): Promise<PageChunk[]>
}

export async function retrieve(source: Source, query: string, options: RetrieveOptions = {}): Promise<Retrieved> {
  const highlightBudget = options.highlightBudget ?? 700
  const passageBudget = options.passageBudget ?? 1400
  const hits = await source.search(query, { k: ANSWER_HITS, perPage: PASSAGES_PER_PAGE })
  if (!hits.length) return { highlights: [], passages: [] }
  const context = await answerContext(source, hits)
  const highlights = extractAnswer(query, context, { budget: highlightBudget }).map(({ passage, sentence }) => ({
    text: sentence,
    title: context[passage].title,
    heading: context[passage].heading,
    url: context[passage].url,
  }))
  const passages = hits.slice(0, MODEL_PASSAGES).map((hit, index) => ({
    source: hit.source,
    title: hit.title,
    heading: hit.heading,
    url: hit.url,
    content: compactPassage(query, hit, Math.floor(passageBudget * (PASSAGE_SHARES[index] ?? 0.2))),
  }))
  return { highlights, passages }
}

function rankWeight(rank: number): number {
  return 1 / (1 + 0.2 * rank)
}

async function answerContext(source: Source, hits: SearchHit[]): Promise<Passage[]> {
  const context: Passage[] = hits.map((hit, rank) => ({ title: hit.title, url: hit.url, heading: hit.heading, content: hit.content, weight: rankWeight(rank) }))
  const pageOf = (url: string) => url.replace(/#.*$/, '')
  const pages = [...new Set(hits.map((hit) => pageOf(hit.url)))].slice(0, CONTEXT_PAGES)
  const known = new Set(hits.map((hit) => hit.content))
  for (const chunk of await source.pageChunks(pages, CHUNKS_PER_PAGE)) {
    if (known.has(chunk.content)) continue
    const rank = hits.findIndex((hit) => pageOf(hit.url) === chunk.pageUrl)
    context.push({ title: chunk.title, url: chunk.url, heading: chunk.heading, content: chunk.content, weight: PAGE_CONTEXT_WEIGHT * rankWeight(rank) })
  }
  return context
}
