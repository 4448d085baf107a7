// Where pages come from: a markdown folder, one HTML page, or every page of a
// sitemap. Web pages are fetched politely (a few at a time, with a timeout),
// only from the sitemap's (or page's) own origin unless more are allowed,
// never from private addresses unless allowed, within a page and a byte cap;
// a page that fails is reported and the rest still load.
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, extname, join, relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Page } from './types.ts'
import { KnowledgeError } from './types.ts'
import { parseMarkdownPage } from './markdown.ts'
import { parseHtmlPage, parseSitemap } from './html.ts'
import { fetchText, type FetchPolicy } from './web-fetch.ts'

export interface SourceOptions {
  lang?: string
  baseUrl?: string
  concurrency?: number
  timeoutMs?: number
  signal?: AbortSignal
  /** Origins besides the source's own that pages and redirects may come from. */
  allowOrigins?: string[]
  /** Fetch from private, loopback and link-local addresses (a local site); off by default. */
  allowPrivate?: boolean
  /** Most web pages fetched from one source. */
  maxPages?: number
  /** Most bytes fetched from one source, all pages together (one response at most 5 MB). */
  maxBytes?: number
  /** Called as web pages arrive (fetching is the slow part of a sitemap). */
  onFetched?(done: number, total: number): void
}

export interface LoadedSource {
  /** Key of this source in the base: pages it no longer lists are removed. */
  origin: string
  pages: Page[]
  failures: { source: string; error: string }[]
  /** Listed pages the caps held back: kept in the base if they are there already. */
  notFetched?: string[]
  /** Web sources only: the caps and what they held back. */
  limits?: FetchLimits
}

export interface FetchLimits {
  maxPages: number
  maxBytes: number
  /** Bytes fetched, sitemaps included. */
  bytes: number
  /** Sitemap entries on an origin that is not allowed, not fetched. */
  offOrigin: number
  /** Pages beyond the page cap, not fetched. */
  overPageCap: number
  /** Pages not fetched because the byte cap was reached. */
  overByteCap: number
}

export const DEFAULT_MAX_PAGES = 2000
export const DEFAULT_MAX_BYTES = 200 * 1024 * 1024
/** Largest single response (never more than the whole byte cap). */
const MAX_PAGE_BYTES = 5 * 1024 * 1024

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

// What one web source may fetch, and what it has fetched so far.
interface WebSession {
  policy: FetchPolicy
  limits: FetchLimits
}

function webSession(target: string, options: SourceOptions): WebSession {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  const allowedOrigins = new Set([new URL(target).origin, ...(options.allowOrigins ?? []).map((origin) => new URL(origin).origin)])
  return {
    policy: {
      allowedOrigins,
      allowPrivate: options.allowPrivate ?? false,
      timeoutMs: options.timeoutMs ?? 15_000,
      maxBytes: Math.min(MAX_PAGE_BYTES, maxBytes),
      signal: options.signal,
    },
    limits: { maxPages, maxBytes, bytes: 0, offOrigin: 0, overPageCap: 0, overByteCap: 0 },
  }
}

async function fetchCounted(session: WebSession, url: string, expectedType: RegExp): Promise<string> {
  const text = await fetchText(url, session.policy, expectedType)
  session.limits.bytes += Buffer.byteLength(text)
  return text
}

async function loadSitemap(sitemapUrl: string, options: SourceOptions): Promise<LoadedSource> {
  const session = webSession(sitemapUrl, options)
  const urls = new Set<string>()
  const allowed = (url: string) => {
    try {
      return session.policy.allowedOrigins.has(new URL(url).origin)
    } catch {
      return false
    }
  }
  const visit = async (url: string, depth: number): Promise<void> => {
    const { pages, sitemaps } = parseSitemap(await fetchCounted(session, url, /xml/))
    for (const page of pages) {
      if (allowed(page)) urls.add(page)
      else session.limits.offOrigin++
    }
    if (depth < MAX_SITEMAP_DEPTH) {
      for (const nested of sitemaps) {
        if (allowed(nested)) await visit(nested, depth + 1)
        else session.limits.offOrigin++
      }
    }
  }
  try {
    await visit(sitemapUrl, 1)
  } catch (error) {
    throw new KnowledgeError(`Could not read the sitemap ${sitemapUrl}: ${(error as Error).message}`)
  }
  if (!urls.size)
    throw new KnowledgeError(`The sitemap ${sitemapUrl} lists no pages${session.limits.offOrigin ? ` on its own origin (${session.limits.offOrigin} elsewhere)` : ''}.`)
  return loadPages(sitemapUrl, [...urls], options, session)
}

async function loadPages(origin: string, listed: string[], options: SourceOptions, session = webSession(origin, options)): Promise<LoadedSource> {
  const { limits } = session
  const urls = listed.slice(0, limits.maxPages)
  const notFetched = listed.slice(limits.maxPages)
  limits.overPageCap = notFetched.length
  const pages: Page[] = []
  const failures: LoadedSource['failures'] = []
  let done = 0
  await forEachLimited(urls, options.concurrency ?? 4, async (url) => {
    if (limits.bytes >= limits.maxBytes) {
      limits.overByteCap++
      notFetched.push(url)
    } else {
      try {
        pages.push(parseHtmlPage(await fetchCounted(session, url, /html/), url, options.lang))
      } catch (error) {
        failures.push({ source: url, error: (error as Error).message })
      }
    }
    options.onFetched?.(++done, urls.length)
  })
  pages.sort((a, b) => a.source.localeCompare(b.source))
  if (urls.length === 1 && failures.length === 1) throw new KnowledgeError(`Could not load ${urls[0]}: ${failures[0].error}`)
  return { origin, pages, failures, notFetched, limits }
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await work(items[next++])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
