// Where pages come from: a markdown folder, one HTML page, or every page of a
// sitemap. Web pages are fetched politely (a few at a time, with a timeout);
// a page that fails is reported and the rest still load.
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, extname, join, relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Page } from './types.ts'
import { KnowledgeError } from './types.ts'
import { parseMarkdownPage } from './markdown.ts'
import { parseHtmlPage, parseSitemap } from './html.ts'

export interface SourceOptions {
  lang?: string
  baseUrl?: string
  concurrency?: number
  timeoutMs?: number
  signal?: AbortSignal
  /** Called as web pages arrive (fetching is the slow part of a sitemap). */
  onFetched?(done: number, total: number): void
}

export interface LoadedSource {
  /** Key of this source in the base: pages it no longer lists are removed. */
  origin: string
  pages: Page[]
  failures: { source: string; error: string }[]
}

const USER_AGENT = 'JellyChat-ingest/0.1 (+https://github.com/DeFiCh)'
const MAX_SITEMAP_DEPTH = 3

export async function loadSource(target: string, options: SourceOptions = {}): Promise<LoadedSource> {
  if (/^https?:\/\//i.test(target)) {
    return /sitemap[^/]*\.xml(\?.*)?$/i.test(target) ? loadSitemap(target, options) : loadPages(target, [target], options)
  }
  return loadFolder(target, options)
}

async function loadFolder(folder: string, options: SourceOptions): Promise<LoadedSource> {
  const root = resolve(folder)
  const info = await stat(root).catch(() => undefined)
  if (!info?.isDirectory()) throw new KnowledgeError(`${folder} is not a folder, a sitemap URL or a page URL.`)
  const folderLang = languageOf(basename(root))
  const pages: Page[] = []
  for (const file of await markdownFiles(root)) {
    const path = relative(root, file).split(sep).join('/')
    const lang = options.lang ?? path.split('/').map(languageOf).find(Boolean) ?? folderLang ?? 'en'
    pages.push(
      parseMarkdownPage({
        source: `${basename(root)}/${path}`,
        text: await readFile(file, 'utf8'),
        url: options.baseUrl ? joinUrl(options.baseUrl, path.replace(/(\/?index)?\.mdx?$/i, '')) : pathToFileURL(file).href,
        lang,
        forceLang: options.lang !== undefined,
        fallbackTitle: basename(file, extname(file)).replace(/[_-]+/g, ' '),
      }),
    )
  }
  if (!pages.length) throw new KnowledgeError(`${folder} has no markdown (.md or .mdx) files.`)
  return { origin: root, pages, failures: [] }
}

async function markdownFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const files: string[] = []
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...(await markdownFiles(path)))
    else if (/\.mdx?$/i.test(entry.name)) files.push(path)
  }
  return files
}

function languageOf(name: string): string | undefined {
  return /^[a-z]{2}(-[a-z]{2})?$/i.test(name) ? name.slice(0, 2).toLowerCase() : undefined
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.split('/').map(encodeURIComponent).join('/')}`
}

async function loadSitemap(sitemapUrl: string, options: SourceOptions): Promise<LoadedSource> {
  const urls = new Set<string>()
  const visit = async (url: string, depth: number): Promise<void> => {
    const { pages, sitemaps } = parseSitemap(await fetchText(url, options, /xml/))
    for (const page of pages) urls.add(page)
    if (depth < MAX_SITEMAP_DEPTH) for (const nested of sitemaps) await visit(nested, depth + 1)
  }
  try {
    await visit(sitemapUrl, 1)
  } catch (error) {
    throw new KnowledgeError(`Could not read the sitemap ${sitemapUrl}: ${(error as Error).message}`)
  }
  if (!urls.size) throw new KnowledgeError(`The sitemap ${sitemapUrl} lists no pages.`)
  return loadPages(sitemapUrl, [...urls], options)
}

async function loadPages(origin: string, urls: string[], options: SourceOptions): Promise<LoadedSource> {
  const pages: Page[] = []
  const failures: LoadedSource['failures'] = []
  let done = 0
  await forEachLimited(urls, options.concurrency ?? 4, async (url) => {
    try {
      pages.push(parseHtmlPage(await fetchText(url, options, /html/), url, options.lang))
    } catch (error) {
      failures.push({ source: url, error: (error as Error).message })
    }
    options.onFetched?.(++done, urls.length)
  })
  pages.sort((a, b) => a.source.localeCompare(b.source))
  if (urls.length === 1 && failures.length === 1) throw new KnowledgeError(`Could not load ${urls[0]}: ${failures[0].error}`)
  return { origin, pages, failures }
}

async function fetchText(url: string, options: SourceOptions, expectedType: RegExp): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]
  let response: Response
  try {
    response = await fetch(url, { signal: AbortSignal.any(signals), headers: { 'user-agent': USER_AGENT }, redirect: 'follow' })
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : ((error as Error).cause as Error)?.message ?? (error as Error).message
    throw new Error(`request failed (${reason})`)
  }
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim())
  const type = response.headers.get('content-type') ?? ''
  if (type && !expectedType.test(type) && !/text\/plain/.test(type)) throw new Error(`unexpected content type ${type}`)
  return response.text()
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
