// Docusaurus markdown → Page: front matter, headings with {#id} anchors,
// admonitions, MDX imports and HTML/JSX fragments reduced to plain text.
import { marked, type Token, type Tokens } from 'marked'
import { parseHTML } from 'linkedom'
import { parse as parseYaml } from 'yaml'
import type { Page, Section } from './types.ts'
import { slugify } from './text.ts'

export interface MarkdownInput {
  source: string
  text: string
  url: string
  /** Language when front matter does not name one. */
  lang: string
  /** Overrides front matter (the --lang flag). */
  forceLang?: boolean
  /** Title when front matter has none and the page has no top heading. */
  fallbackTitle: string
}

export function parseMarkdownPage(input: MarkdownInput): Page {
  const { meta, body } = splitFrontMatter(input.text)
  const tokens = marked.lexer(prepareBody(body))
  const sections: Section[] = [{ headingPath: [], blocks: [] }]
  const path: { depth: number; text: string }[] = []
  let title = typeof meta.title === 'string' ? meta.title.trim() : ''
  for (const token of tokens) {
    if (token.type === 'heading') {
      const { text, anchor } = headingParts(token as Tokens.Heading)
      if (token.depth === 1 && !title) {
        title = text
        continue
      }
      while (path.length && path[path.length - 1].depth >= token.depth) path.pop()
      path.push({ depth: token.depth, text })
      sections.push({ headingPath: path.map((entry) => entry.text), anchor, blocks: [] })
      continue
    }
    const text = blockText(token).trim()
    if (text) sections[sections.length - 1].blocks.push(text)
  }
  const metaLang = typeof meta.lang === 'string' ? meta.lang : undefined
  return {
    source: input.source,
    title: title || input.fallbackTitle,
    description: typeof meta.description === 'string' ? meta.description.trim() : undefined,
    url: input.url,
    lang: (input.forceLang ? input.lang : (metaLang ?? input.lang)).toLowerCase(),
    sections: sections.filter((section) => section.blocks.length || section.headingPath.length),
  }
}

function splitFrontMatter(text: string): { meta: Record<string, unknown>; body: string } {
  const match = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text)
  if (!match) return { meta: {}, body: text }
  try {
    const meta = parseYaml(match[1]) as unknown
    return { meta: meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : {}, body: text.slice(match[0].length) }
  } catch {
    return { meta: {}, body: text.slice(match[0].length) }
  }
}

// Line-level Docusaurus syntax outside code fences: admonition fences become a
// title line (or nothing), MDX import/export lines go.
function prepareBody(body: string): string {
  let fence: string | undefined
  const lines: string[] = []
  for (const line of body.split(/\r?\n/)) {
    const fenceMatch = /^\s*(```|~~~)/.exec(line)
    if (fenceMatch) fence = fence === undefined ? fenceMatch[1] : fence === fenceMatch[1] ? undefined : fence
    if (fence === undefined) {
      const admonition = /^\s*:::\s*(\w+)?\s*(.*)$/.exec(line)
      if (admonition) {
        lines.push(admonition[2] ? `${admonition[2].trim()}:` : '')
        continue
      }
      if (/^(import|export)\s.+(from\s+['"].+['"]|;)\s*$/.test(line)) continue
    }
    lines.push(line)
  }
  return lines.join('\n')
}

function headingParts(token: Tokens.Heading): { text: string; anchor: string } {
  const explicit = /\s*\{#([^}\s]+)\}\s*$/.exec(token.text)
  const text = inlineText(marked.Lexer.lexInline(explicit ? token.text.slice(0, explicit.index) : token.text)).trim()
  return { text, anchor: explicit ? explicit[1] : slugify(text) }
}

function blockText(token: Token): string {
  switch (token.type) {
    case 'paragraph':
    case 'text':
      return 'tokens' in token && token.tokens ? inlineText(token.tokens) : token.text
    case 'code':
      return token.text
    case 'blockquote':
      return (token as Tokens.Blockquote).tokens.map(blockText).join('\n')
    case 'list':
      return (token as Tokens.List).items.map((item) => `- ${item.tokens.map(blockText).join(' ').trim()}`).join('\n')
    case 'table': {
      const table = token as Tokens.Table
      const row = (cells: Tokens.TableCell[]) => cells.map((cell) => inlineText(cell.tokens)).join(' | ')
      return [row(table.header), ...table.rows.map(row)].join('\n')
    }
    case 'html':
      return htmlText(token.text)
    case 'heading':
      return inlineText((token as Tokens.Heading).tokens)
    default:
      return ''
  }
}

function inlineText(tokens: Token[]): string {
  return tokens
    .map((token) => {
      switch (token.type) {
        case 'image':
        case 'html':
          return ''
        case 'br':
          return '\n'
        case 'codespan':
          return token.text
        case 'escape':
          return token.text
        case 'text':
          // A soft line break (hard-wrapped source) is a space, as when rendered.
          return 'tokens' in token && token.tokens ? inlineText(token.tokens) : decodeEntities(token.text).replace(/[ \t]*\n[ \t]*/g, ' ')
        default:
          return 'tokens' in token && token.tokens ? inlineText(token.tokens) : 'text' in token ? String(token.text) : ''
      }
    })
    .join('')
}

// HTML and JSX fragments inside markdown: the text a reader would see.
function htmlText(html: string): string {
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`)
  return (document.body.textContent ?? '')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n')
    .trim()
}

function decodeEntities(text: string): string {
  return text.includes('&') ? htmlText(text) : text
}
