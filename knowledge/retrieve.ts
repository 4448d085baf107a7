// Retrieval policy for answers: which passages an answer is drawn from and how
// much each counts. The best hits, then the rest of the best page (an answer
// often sits in another section of the page that ranked first), each weighted
// by its rank; of those, the page (or two) whose lines answer best; the lines
// that answer; and the best hits cut to their relevant lines for a model. The
// wiki tool only formats what this returns.
import type { SearchHit, SearchOptions } from './types.ts'
import type { PageChunk } from './store.ts'
import { compactPassage, coverage, extractAnswer, rankLines, type Passage } from './extract.ts'

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
/** Pages an answer's lines come from: the best one, and another that answers nearly as well (a question about two things). */
const ANSWER_PAGES = 2
/** A further page's lines must score at least this share of the best page's to join the answer. */
const FURTHER_PAGE_SHARE = 0.7
/** A page counts its best lines, each half the one before: a page that answers has more than one line about the question. */
const PAGE_LINES = 3
const PAGE_LINE_DECAY = 0.5
/** A page whose title the question names is likelier the one it asks about: its score grows by up to this share. */
const TITLE_BOOST = 0.5
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
  const context = answerPages(query, await answerContext(source, hits))
  // Each step ranks hundreds of lines: other turns (and /health) get the loop in between.
  await turnOfTheLoop()
  const highlights = extractAnswer(query, context, { budget: highlightBudget }).map(({ passage, sentence }) => ({
    text: sentence,
    title: context[passage].title,
    heading: context[passage].heading,
    url: context[passage].url,
  }))
  await turnOfTheLoop()
  const passages = hits.slice(0, MODEL_PASSAGES).map((hit, index) => ({
    source: hit.source,
    title: hit.title,
    heading: hit.heading,
    url: hit.url,
    content: compactPassage(query, hit, Math.floor(passageBudget * (PASSAGE_SHARES[index] ?? 0.2))),
  }))
  return { highlights, passages }
}

const turnOfTheLoop = () => new Promise((resolve) => setImmediate(resolve))

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

/**
 * The passages of the pages whose lines answer the query best. Lines of
 * several pages glued together read badly, and a page that only repeats a few
 * of the question's words in one line often outscores, line for line, the
 * page that answers it in several; so pages are chosen by their best lines
 * together (scored as the answer scores them, retrieval rank included), before
 * the answer's lines are.
 */
export function answerPages(query: string, context: Passage[]): Passage[] {
  const pageOf = (passage: Passage) => passage.url.replace(/#.*$/, '')
  const lines = new Map<string, number[]>()
  for (const candidate of rankLines(query, context)) {
    if (candidate.score <= 0) break
    const page = pageOf(context[candidate.passage])
    const scores = lines.get(page) ?? []
    if (scores.length < PAGE_LINES) lines.set(page, [...scores, candidate.score])
  }
  const titles = new Map(context.map((passage) => [pageOf(passage), passage.title]))
  const pages = [...lines]
    .map(([page, scores]) => ({
      page,
      score: scores.reduce((sum, score, index) => sum + score * PAGE_LINE_DECAY ** index, 0) * (1 + TITLE_BOOST * coverage(query, titles.get(page) ?? '')),
    }))
    .sort((a, b) => b.score - a.score)
  if (!pages.length) return context
  const chosen = new Set(
    pages
      .slice(0, ANSWER_PAGES)
      .filter(({ score }) => score >= FURTHER_PAGE_SHARE * pages[0].score)
      .map(({ page }) => page),
  )
  return context.filter((passage) => chosen.has(pageOf(passage)))
}
