// HTML page → Page: Mozilla Readability finds the main content (no menus,
// footers or ads), linkedom provides the DOM; blocks are grouped under headings.
import { Readability } from '@mozilla/readability'
import { DOMParser, parseHTML } from 'linkedom'
import type { Page, Section } from './types.ts'
import { slugify } from './text.ts'

const BLOCKS = 'h1,h2,h3,h4,h5,h6,p,li,pre,blockquote,tr,dt,dd,figcaption'

export function parseHtmlPage(html: string, url: string, lang?: string): Page {
  const { document } = parseHTML(html)
  const pageLang = lang ?? document.documentElement.getAttribute('lang') ?? undefined
  const fallbackTitle = document.querySelector('title')?.textContent?.trim() ?? ''
  // Readability edits the document it reads, so it gets its own copy.
  const article = new Readability(parseHTML(html).document as unknown as Document).parse()
  const content = article?.content ? parseHTML(`<!doctype html><html><body>${article.content}</body></html>`).document.body : document.body
  const title = (article?.title || fallbackTitle || url).trim()
  const sections: Section[] = [{ headingPath: [], blocks: [] }]
  const path: { depth: number; text: string }[] = []
  for (const element of content.querySelectorAll(BLOCKS)) {
    // Nested blocks (a paragraph inside a list item) are read with their parent.
    if (element.parentElement?.closest(BLOCKS)) continue
    const tag = element.tagName.toLowerCase()
    if (/^h[1-6]$/.test(tag)) {
      const depth = Number(tag[1])
      const text = squash(element.textContent)
      if (!text || (depth === 1 && text === title)) continue
      while (path.length && path[path.length - 1].depth >= depth) path.pop()
      path.push({ depth, text })
      sections.push({ headingPath: path.map((entry) => entry.text), anchor: element.getAttribute('id') || slugify(text), blocks: [] })
      continue
    }
    const text =
      tag === 'tr'
        ? [...element.querySelectorAll('th,td')].map((cell) => squash(cell.textContent)).join(' | ')
        : tag === 'pre'
          ? (element.textContent ?? '').trim()
          : squash(element.textContent)
    if (text) sections[sections.length - 1].blocks.push(tag === 'li' ? `- ${text}` : text)
  }
  return {
    source: url.replace(/#.*$/, ''),
    title,
    description: article?.excerpt?.trim() || undefined,
    url: url.replace(/#.*$/, ''),
    lang: (pageLang ?? 'en').toLowerCase().slice(0, 2),
    sections: sections.filter((section) => section.blocks.length || section.headingPath.length),
  }
}

/** Page and nested sitemap URLs listed in a sitemap.xml (or sitemap index). */
export function parseSitemap(xml: string): { pages: string[]; sitemaps: string[] } {
  const document = new DOMParser().parseFromString(xml, 'text/xml')
  const locs = (parent: string) =>
    [...document.getElementsByTagName(parent)].map((element) => element.getElementsByTagName('loc')[0]?.textContent?.trim() ?? '').filter(Boolean)
  return { pages: locs('url'), sitemaps: locs('sitemap') }
}

function squash(text: string | null | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim()
}
