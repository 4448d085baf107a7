// The arguments of one ingestion, as `npm run ingest` takes them; also the
// syntax of INGEST_ON_START, so operators write the same thing in both places.
import { parseArgs } from 'node:util'
import type { SourceOptions } from './sources.ts'

export interface IngestJob {
  source: string
  reset: boolean
  lang?: string
  baseUrl?: string
  /** Only set when given: origins besides the source's own. */
  allowOrigins?: string[]
  /** Only set when given: fetch from private and loopback addresses. */
  allowPrivate?: boolean
  maxPages?: number
  maxBytes?: number
}

export const INGEST_USAGE =
  '<folder|sitemap-url|page-url> [--reset] [--lang xx] [--base-url URL] [--allow-origin URL ...] [--allow-private] [--max-pages N] [--max-bytes N]'

export function parseIngestArgs(args: string[]): { job: IngestJob } | { help: true } | { error: string } {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        reset: { type: 'boolean', default: false },
        lang: { type: 'string' },
        'base-url': { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        'allow-private': { type: 'boolean' },
        'max-pages': { type: 'string' },
        'max-bytes': { type: 'string' },
        help: { type: 'boolean' },
      },
    })
  } catch (error) {
    return { error: (error as Error).message }
  }
  const { values, positionals } = parsed
  if (values.help) return { help: true }
  if (positionals.length !== 1) return { error: `expected one source: ${INGEST_USAGE}` }
  if (values.lang !== undefined && !/^[a-z]{2}$/i.test(values.lang)) return { error: `--lang takes a two-letter language code such as en or de, got "${values.lang}"` }
  const job: IngestJob = { source: positionals[0], reset: values.reset ?? false, lang: values.lang?.toLowerCase(), baseUrl: values['base-url'] }
  for (const origin of values['allow-origin'] ?? []) {
    if (!/^https?:\/\/[^/]+/i.test(origin) || !URL.canParse(origin))
      return { error: `--allow-origin takes an http(s) URL such as https://cdn.example.org, got "${origin}"` }
  }
  if (values['allow-origin']?.length) job.allowOrigins = values['allow-origin']
  if (values['allow-private']) job.allowPrivate = true
  for (const [flag, key] of [
    ['max-pages', 'maxPages'],
    ['max-bytes', 'maxBytes'],
  ] as const) {
    const value = values[flag]
    if (value === undefined) continue
    if (!/^[1-9]\d{0,11}$/.test(value)) return { error: `--${flag} takes a whole number above 0, got "${value}"` }
    job[key] = Number(value)
  }
  return { job }
}

/** The loading options a job asks for. */
export function jobSourceOptions(job: IngestJob): SourceOptions {
  return { lang: job.lang, baseUrl: job.baseUrl, allowOrigins: job.allowOrigins, allowPrivate: job.allowPrivate, maxPages: job.maxPages, maxBytes: job.maxBytes }
}
