// The arguments of one ingestion, as `npm run ingest` takes them; also the
// syntax of INGEST_ON_START, so operators write the same thing in both places.
import { parseArgs } from 'node:util'

export interface IngestJob {
  source: string
  reset: boolean
  lang?: string
  baseUrl?: string
}

export const INGEST_USAGE = '<folder|sitemap-url|page-url> [--reset] [--lang xx] [--base-url URL]'

export function parseIngestArgs(args: string[]): { job: IngestJob } | { help: true } | { error: string } {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { reset: { type: 'boolean', default: false }, lang: { type: 'string' }, 'base-url': { type: 'string' }, help: { type: 'boolean' } },
    })
  } catch (error) {
    return { error: (error as Error).message }
  }
  const { values, positionals } = parsed
  if (values.help) return { help: true }
  if (positionals.length !== 1) return { error: `expected one source: ${INGEST_USAGE}` }
  if (values.lang !== undefined && !/^[a-z]{2}$/i.test(values.lang)) return { error: `--lang takes a two-letter language code such as en or de, got "${values.lang}"` }
  return { job: { source: positionals[0], reset: values.reset ?? false, lang: values.lang?.toLowerCase(), baseUrl: values['base-url'] } }
}
