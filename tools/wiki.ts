// The wiki tool: hybrid search over the ingested DeFiChain wiki. For the model
// it returns a few compact passages with their URLs so the answer can cite
// them; offline it answers with the matching sentences and links the sources.
import type { Tool } from './types.ts'
import { ToolError } from './types.ts'
import type { KnowledgeBase, SearchHit } from '../knowledge/index.ts'
import { KnowledgeError } from '../knowledge/types.ts'
import { compactPassage, extractAnswer, type Passage } from '../knowledge/extract.ts'
import { detectLanguage } from '../knowledge/text.ts'

export interface WikiArgs {
  query: string
}

export interface Highlight {
  /** A line of the wiki that answers the query. */
  text: string
  title: string
  heading: string
  url: string
}

export interface WikiResult {
  /** The lines that best answer the query, in reading order, with where they come from. */
  highlights: Highlight[]
  passages: (Passage & { source: string })[]
  /** Set when there is nothing to search yet. */
  note?: string
}

const PASSAGES = 4
/** Hits the answer is drawn from (the model gets the first PASSAGES). */
const ANSWER_HITS = 4
/** The best pages are read whole, so an answer in another section of them is found too. */
const CONTEXT_PAGES = 2
/** Characters of passage text per result; keeps the tool message small for the model. */
const BUDGET = 1400
const HIGHLIGHT_BUDGET = 700
export const INGEST_HINT = 'npm run ingest -- ../shared/corpus/defichainwiki/en'

export function createWikiTool(kb: KnowledgeBase): Tool<WikiArgs, WikiResult> {
  return {
    name: 'wiki',
    description: 'Search the DeFiChain wiki (how-tos, concepts, wallet, masternodes, DeFi terms): best matching lines and passages with title, heading and url to cite.',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string', description: "in the user's language" } },
      required: ['query'],
      additionalProperties: false,
    },
    startLine: 'Diving into the DeFiChain wiki 📚',
    async run(args) {
      const query = typeof args?.query === 'string' ? args.query.trim() : ''
      if (!query) throw new ToolError('query must be a non-empty string', 'invalid_argument')
      let hits
      let context: Passage[]
      try {
        hits = await kb.search(query, { k: ANSWER_HITS, perPage: 2 })
        context = await answerContext(kb, hits)
      } catch (error) {
        if (error instanceof KnowledgeError) throw new ToolError(error.message, 'unavailable')
        throw error
      }
      if (!hits.length) {
        return { highlights: [], passages: [], note: `The knowledge base is empty. Load the wiki with: ${INGEST_HINT}` }
      }
      const highlights = extractAnswer(query, context, { budget: HIGHLIGHT_BUDGET }).map(({ passage, sentence }) => ({
        text: sentence,
        title: context[passage].title,
        heading: context[passage].heading,
        url: context[passage].url,
      }))
      // The best passage gets the most room.
      const shares = [0.35, 0.25, 0.2, 0.2]
      return {
        highlights,
        passages: hits.slice(0, PASSAGES).map((hit, index) => ({
          source: hit.source,
          title: hit.title,
          heading: hit.heading,
          url: hit.url,
          content: compactPassage(query, hit, Math.floor(BUDGET * (shares[index] ?? 0.2))),
        })),
      }
    },
    offline: {
      plan({ message, recentHumanMessages }) {
        const text = message.trim()
        if (text.length < 3 && !text.includes('?')) return undefined
        // A bare follow-up ("and in German?") continues the previous question.
        const previous = recentHumanMessages[recentHumanMessages.length - 1]
        if (previous && /^(and|what about|und|was ist mit)\b/i.test(text) && text.split(/\s+/).length <= 6) {
          return { query: `${previous} ${text}` }
        }
        return { query: text }
      },
      answer(result, _args, { message }) {
        const german = detectLanguage(message) === 'de'
        if (!result.passages.length) {
          return german
            ? `Die Wissensdatenbank ist noch leer, deshalb kann ich im Wiki nichts nachschlagen 🐚. Lade das Wiki mit \`${INGEST_HINT}\` (oder \`…/de\` für die deutschen Seiten).`
            : `The knowledge base is still empty, so I can't look that up in the wiki yet 🐚. Load it with \`${INGEST_HINT}\` (and \`…/de\` for the German pages).`
        }
        const link = (source: { title: string; heading: string; url: string }) =>
          `[${source.title}${source.heading && source.heading !== source.title ? ` › ${source.heading}` : ''}](${source.url})`
        if (!result.highlights.length) {
          const links = result.passages.map(link).join('\n- ')
          return german
            ? `Dazu habe ich im Wiki keine passende Stelle gefunden 🌊. Vielleicht hilft eine dieser Seiten:\n- ${links}`
            : `I couldn't find that exact answer in the wiki 🌊. These pages come closest:\n- ${links}`
        }
        const body = result.highlights.map((highlight) => highlight.text.replace(/^[-*] /, '• ')).join('\n')
        const sources = [...new Map(result.highlights.map((highlight) => [highlight.url, highlight])).values()]
        const list = sources.map(link).join('\n- ')
        return german
          ? `Das sagt das DeFiChain-Wiki dazu 🐙:\n\n${body}\n\n${sources.length > 1 ? 'Quellen' : 'Quelle'}:\n- ${list}`
          : `Here's what the DeFiChain wiki says 🐙:\n\n${body}\n\n${sources.length > 1 ? 'Sources' : 'Source'}:\n- ${list}`
      },
    },
  }
}

// What the answer is drawn from: the hits (best first), then the rest of the
// best pages, each passage weighted by how well it (or its page) ranked.
async function answerContext(kb: KnowledgeBase, hits: SearchHit[]): Promise<Passage[]> {
  const weightOf = (rank: number) => 1 / (1 + 0.2 * rank)
  const context: Passage[] = hits.map((hit, rank) => ({ title: hit.title, url: hit.url, heading: hit.heading, content: hit.content, weight: weightOf(rank) }))
  const pageOf = (url: string) => url.replace(/#.*$/, '')
  const pages = [...new Set(hits.map((hit) => pageOf(hit.url)))].slice(0, CONTEXT_PAGES)
  const known = new Set(hits.map((hit) => hit.content))
  for (const chunk of await kb.pageChunks(pages)) {
    if (known.has(chunk.content)) continue
    const rank = hits.findIndex((hit) => pageOf(hit.url) === chunk.pageUrl)
    context.push({ title: chunk.title, url: chunk.url, heading: chunk.heading, content: chunk.content, weight: 0.85 * weightOf(rank) })
  }
  return context
}
