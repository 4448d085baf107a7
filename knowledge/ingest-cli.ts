// npm run ingest -- <folder|sitemap-url|page-url> [--reset] [--lang xx] [--base-url URL]
import { parseArgs } from 'node:util'
import pino from 'pino'
import { loadConfig } from '../server/config.ts'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { createEmbedder } from './embedders/index.ts'
import { loadSource } from './sources.ts'
import { ingestSource, formatSummary } from './ingest.ts'
import { createProgress } from './progress.ts'
import { KnowledgeError } from './types.ts'

const USAGE = 'Usage: npm run ingest -- <folder|sitemap-url|page-url> [--reset] [--lang xx] [--base-url URL]'

async function main(): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { reset: { type: 'boolean', default: false }, lang: { type: 'string' }, 'base-url': { type: 'string' }, help: { type: 'boolean' } },
    })
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help || positionals.length !== 1) {
    console.error(USAGE)
    return values.help ? 0 : 2
  }
  if (values.lang !== undefined && !/^[a-z]{2}$/i.test(values.lang)) {
    console.error(`--lang takes a two-letter language code such as en or de, got "${values.lang}".`)
    return 2
  }
  let config
  try {
    config = loadConfig()
  } catch (error) {
    console.error((error as Error).message)
    return 2
  }
  const log = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination(2))
  const embedder = createEmbedder(config)
  const db = await connectDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  const stop = new AbortController()
  process.once('SIGINT', () => stop.abort())
  const progress = createProgress(process.stderr)
  try {
    await migrate(db.sql)
    const fetching = createProgress(process.stderr, 'Fetching')
    const loaded = await loadSource(positionals[0], {
      lang: values.lang?.toLowerCase(),
      baseUrl: values['base-url'],
      signal: stop.signal,
      onFetched: (done, total) => fetching.update(done, total, 'pages'),
    })
    fetching.done()
    for (const failure of loaded.failures) console.error(`Could not load ${failure.source}: ${failure.error}`)
    const summary = await ingestSource(db.sql, embedder, loaded, {
      reset: values.reset,
      signal: stop.signal,
      log,
      onProgress: (done, total, source) => progress.update(done, total, source),
    })
    progress.done()
    console.log(`${formatSummary(summary)} (embedder ${embedder.name})`)
    return 0
  } catch (error) {
    progress.done()
    if (error instanceof KnowledgeError) console.error(error.message)
    else if ((error as Error).name === 'AbortError') console.error('Ingestion stopped; pages ingested so far are kept.')
    else console.error(`Ingestion failed: ${(error as Error).message}`)
    return 1
  } finally {
    await db.close()
  }
}

process.exitCode = await main()
