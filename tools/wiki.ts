// The wiki tool: hybrid search over the ingested DeFiChain wiki. For the model
// it returns a few compact passages with their URLs so the answer can cite
// them; offline it answers with the matching sentences and links the sources.
import type { FromSchema } from 'json-schema-to-ts'
import type { Tool } from './types.ts'
import { ToolError } from './types.ts'
import type { Highlight, KnowledgeBase } from '../knowledge/index.ts'
import { KnowledgeError } from '../knowledge/types.ts'
import type { Passage } from '../knowledge/extract.ts'
import { detectLanguage } from '../knowledge/text.ts'

const WIKI_PARAMETERS = {
  type: 'object',
  // A blank query is refused by the runner ("query must not be empty"), before any search.
  properties: { query: { type: 'string', pattern: '\\S', description: "in the user's language" } },
  required: ['query'],
  additionalProperties: false,
} as const

/** Arguments typed from the schema the runner checks them against. */
export type WikiArgs = FromSchema<typeof WIKI_PARAMETERS>

export interface WikiResult {
  /** The lines that best answer the query, in reading order, with where they come from. */
  highlights: Highlight[]
  passages: (Passage & { source: string })[]
  /** Set when there is nothing to search yet. */
  note?: string
}

const WIKI_UNAVAILABLE = "The wiki can't be searched right now; the server's log says why."

// The public wiki: a source everyone who cloned this repository has (local markdown folders are the offline way).
const INGEST_HINT = 'npm run ingest -- https://www.defichainwiki.com/sitemap.xml'

export function createWikiTool(kb: KnowledgeBase): Tool<WikiArgs, WikiResult> {
  return {
    name: 'wiki',
    description: 'Search the DeFiChain wiki (how-tos, concepts, wallet, masternodes, DeFi terms): best matching lines and passages with title, heading and url to cite.',
    parameters: WIKI_PARAMETERS,
    startLine: 'Diving into the DeFiChain wiki 📚',
    async run({ query }, { log }) {
      try {
        const { highlights, passages } = await kb.retrieve(query.trim())
        if (!passages.length) return { highlights: [], passages: [], note: `The knowledge base is empty. Load the wiki with: ${INGEST_HINT}` }
        return { highlights, passages }
      } catch (error) {
        // The reason (a base built with another embedder, the embeddings service down) is the operator's to act on.
        if (error instanceof KnowledgeError) {
          log.warn({ err: error }, 'wiki search failed')
          throw new ToolError(WIKI_UNAVAILABLE, 'unavailable')
        }
        throw error
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
            ? `Die Wissensdatenbank ist noch leer, deshalb kann ich im Wiki nichts nachschlagen 🐚. Lade das Wiki mit \`${INGEST_HINT}\` (oder aus einem Ordner mit den Markdown-Seiten des Wikis).`
            : `The knowledge base is still empty, so I can't look that up in the wiki yet 🐚. Load it with \`${INGEST_HINT}\` (or from a local folder of the wiki's markdown pages).`
        }
        const link = (source: { title: string; heading: string; url: string }) =>
          `[${source.title}${source.heading && source.heading !== source.title ? ` › ${source.heading}` : ''}](${source.url})`
        if (!result.highlights.length) {
          // Two passages of one section are one link.
          const links = [...new Set(result.passages.map(link))].join('\n- ')
          return german
            ? `Dazu habe ich im Wiki keine passende Stelle gefunden 🌊. Vielleicht hilft eine dieser Seiten:\n- ${links}`
            : `I couldn't find that exact answer in the wiki 🌊. These pages come closest:\n- ${links}`
        }
        const body = answerBody(result.highlights)
        const sources = [...new Map(result.highlights.map((highlight) => [highlight.url, highlight])).values()]
        const list = sources.map(link).join('\n- ')
        return german
          ? `Das sagt das DeFiChain-Wiki dazu 🐙:\n\n${body}\n\n${sources.length > 1 ? 'Quellen' : 'Quelle'}:\n- ${list}`
          : `Here's what the DeFiChain wiki says 🐙:\n\n${body}\n\n${sources.length > 1 ? 'Sources' : 'Source'}:\n- ${list}`
      },
    },
  }
}

// The lines in reading order, each run from one section under that section's
// name ("Pros:" means little without the option it is about), a short one with
// its parent's; a line of the page's introduction needs no label unless the
// answer spans pages.
function answerBody(highlights: Highlight[]): string {
  const pages = new Set(highlights.map((highlight) => highlight.url.replace(/#.*$/, '')))
  const label = (highlight: Highlight) => {
    // A bare "Advantages" or "Background" is named with what it belongs to.
    const path = highlight.heading.split(' › ').map((part) => part.replace(/:$/, '').trim())
    const section = path.slice(path.at(-1)!.split(/\s+/).length <= 2 ? -2 : -1).join(' › ')
    if (section && highlight.heading !== highlight.title) return section
    return pages.size > 1 ? highlight.title : ''
  }
  const blocks: string[] = []
  let previous = ''
  for (const highlight of highlights) {
    const key = `${highlight.url} ${highlight.heading}`
    const line = highlight.text.replace(/^[-*] /, '• ')
    if (key === previous) {
      blocks[blocks.length - 1] += `\n${line}`
      continue
    }
    previous = key
    const name = label(highlight)
    blocks.push(name ? `**${name}**\n${line}` : line)
  }
  return blocks.join('\n\n')
}
