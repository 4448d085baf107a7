// npm run ingest -- <folder|sitemap-url|page-url> [--reset] [--lang xx] [--base-url URL] [--allow-origin URL] [--allow-private] [--max-pages N] [--max-bytes N]
import pino from 'pino'
import { loadConfig } from '../server/config.ts'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { createEmbedder } from './embedders/index.ts'
import { loadSource } from './sources.ts'
import { ingestSource, formatSummary } from './ingest.ts'
import { createProgress } from './progress.ts'
import { KnowledgeError } from './types.ts'
import { INGEST_USAGE, jobSourceOptions, parseIngestArgs } from './ingest-args.ts'

const USAGE = `Usage: npm run ingest -- ${INGEST_USAGE}`

async function main(): Promise<number> {
  const parsed = parseIngestArgs(process.argv.slice(2))
  if ('help' in parsed) {
    console.log(USAGE)
    return 0
  }
  if ('error' in parsed) {
    console.error(`${parsed.error}\n${USAGE}`)
    return 2
  }
  const { job } = parsed
  let config
  try {
    config = loadConfig()
  } catch (error) {
    console.error((error as Error).message)
    return 2
  }
  const log = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination(2))
  const embedder = createEmbedder(config)
  let db
  try {
    db = await connectDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  } catch (error) {
    // Typically the running server holding the embedded database.
    console.error(`Could not open the database: ${(error as Error).message}`)
    return 1
  }
  const stop = new AbortController()
  process.once('SIGINT', () => stop.abort())
  const progress = createProgress(process.stderr)
  try {
    await migrate(db.sql)
    const fetching = createProgress(process.stderr, 'Fetching')
    const loaded = await loadSource(job.source, {
      ...jobSourceOptions(job),
      signal: stop.signal,
      onFetched: (done, total) => fetching.update(done, total, 'pages'),
    })
    fetching.done()
    for (const failure of loaded.failures) console.error(`Could not load ${failure.source}: ${failure.error}`)
    const summary = await ingestSource(db.sql, embedder, loaded, {
      reset: job.reset,
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
