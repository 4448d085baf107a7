// The wiki tool: hybrid search over the ingested DeFiChain wiki. For the model
// it returns a few compact passages with their URLs so the answer can cite
// them; offline it answers with the matching sentences and links the sources.
import type { Tool } from './types.ts'
import { ToolError } from './types.ts'
import type { KnowledgeBase } from '../knowledge/index.ts'
import { KnowledgeError } from '../knowledge/types.ts'
import { compactPassage, extractAnswer, type Passage } from '../knowledge/extract.ts'
import { detectLanguage } from '../knowledge/text.ts'

export interface WikiArgs {
  query: string
}

export interface WikiResult {
  passages: (Passage & { source: string })[]
  /** Set when there is nothing to search yet. */
  note?: string
}

const PASSAGES = 4
/** Characters of passage text per result; keeps the tool message small for the model. */
const BUDGET = 2200
export const INGEST_HINT = 'npm run ingest -- ../shared/corpus/defichainwiki/en'

export function createWikiTool(kb: KnowledgeBase): Tool<WikiArgs, WikiResult> {
  return {
    name: 'wiki',
    description:
      'Search the DeFiChain wiki (how-tos, concepts, wallet and masternode help, DeFi terms). Returns passages with title, heading and url; cite the urls you use.',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string', description: 'What to look up, in the user\'s language, e.g. "how to change the masternode reward address"' } },
      required: ['query'],
      additionalProperties: false,
    },
    startLine: 'Diving into the DeFiChain wiki 📚',
    async run(args) {
      const query = typeof args?.query === 'string' ? args.query.trim() : ''
      if (!query) throw new ToolError('query must be a non-empty string', 'invalid_argument')
      let hits
      try {
        hits = await kb.search(query, { k: PASSAGES, perPage: 2 })
      } catch (error) {
        if (error instanceof KnowledgeError) throw new ToolError(error.message, 'unavailable')
        throw error
      }
      if (!hits.length) {
        return { passages: [], note: `The knowledge base is empty. Load the wiki with: ${INGEST_HINT}` }
      }
      // The best passage gets the most room.
      const shares = [0.35, 0.25, 0.2, 0.2]
      return {
        passages: hits.map((hit, index) => ({
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
      answer(result, args, { message }) {
        const german = detectLanguage(message) === 'de'
        if (!result.passages.length) {
          return german
            ? `Die Wissensdatenbank ist noch leer, deshalb kann ich im Wiki nichts nachschlagen 🐚. Lade das Wiki mit \`${INGEST_HINT}\` (oder \`…/de\` für die deutschen Seiten).`
            : `The knowledge base is still empty, so I can't look that up in the wiki yet 🐚. Load it with \`${INGEST_HINT}\` (and \`…/de\` for the German pages).`
        }
        const extracts = extractAnswer(args.query, result.passages)
        const link = (passage: Passage) => `[${passage.title}${passage.heading && passage.heading !== passage.title ? ` › ${passage.heading}` : ''}](${passage.url})`
        if (!extracts.length) {
          const links = result.passages.map(link).join('\n- ')
          return german
            ? `Dazu habe ich im Wiki keine passende Stelle gefunden 🌊. Vielleicht hilft eine dieser Seiten:\n- ${links}`
            : `I couldn't find that exact answer in the wiki 🌊. These pages come closest:\n- ${links}`
        }
        const used = [...new Set(extracts.map((extract) => extract.passage))]
        const body = extracts.map((extract) => extract.sentence.replace(/^- /, '• ')).join('\n')
        const sources = used.map((index) => link(result.passages[index])).join('\n- ')
        return german
          ? `Das sagt das DeFiChain-Wiki dazu 🐙:\n\n${body}\n\n${used.length > 1 ? 'Quellen' : 'Quelle'}:\n- ${sources}`
          : `Here's what the DeFiChain wiki says 🐙:\n\n${body}\n\n${used.length > 1 ? 'Sources' : 'Source'}:\n- ${sources}`
      },
    },
  }
}
