// Composition root: the shared services (server/compose.ts) and the app
// (composeApp), then listen (startServer). stop() drains turns before closing anything.
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { createLogger } from './logger.ts'
import { ingestOnStart, scheduleIngest, type OnIngestRun } from '../knowledge/ingest-on-start.ts'
import { composeServices } from './compose.ts'
import { buildApp, type AppOptions } from './app.ts'

export interface RunningServer {
  url: string
  port: number
  stop(): Promise<void>
}

/** Everything the server is made of, composed but not listening: what startServer() and the tests build on. */
export async function composeApp(config: Config, logger: Logger, appOptions: AppOptions = {}) {
  const { db, repository, knowledge, chat, tools, metrics, stopWatching } = await composeServices(config, logger)
  try {
    const app = await buildApp({ config, chat, repository, search: (query, options) => knowledge.search(query, options), logger, tools, metrics }, appOptions)
    app.addHook('onClose', async () => stopWatching())
    return { app, db, chat, knowledge, tools, metrics }
  } catch (error) {
    await db.close()
    throw error
  }
}

export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel), appOptions: AppOptions = {}): Promise<RunningServer> {
  const { app, db, chat, knowledge, metrics } = await composeApp(config, logger, appOptions)
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await app.close()
    await db.close()
    throw error
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  logger.info({ port, database: db.embedded ? 'embedded' : 'DATABASE_URL', mode: config.llmEnabled ? 'llm' : 'offline' }, 'Jelly is listening')

  const ingestion = new AbortController()
  const onIngestRun: OnIngestRun = (trigger, outcome, summary) => metrics.ingestRun(trigger, outcome, summary)
  let scheduledRun: () => Promise<unknown> = async () => undefined
  const ingesting = ingestOnStart(db.sql, knowledge.embedder, config.ingestOnStart, logger, ingestion.signal, onIngestRun).then(() => {
    if (config.ingestEveryMs === undefined) return
    const every = { sql: db.sql, embedder: knowledge.embedder, jobs: config.ingestOnStart, everyMs: config.ingestEveryMs, log: logger, signal: ingestion.signal }
    scheduledRun = scheduleIngest({ ...every, onRun: onIngestRun })
  })

  let stopping: Promise<void> | undefined
  return {
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    port,
    stop: () =>
      (stopping ??= (async () => {
        ingestion.abort()
        const drained = await chat.drain(config.shutdownGraceMs)
        if (!drained) logger.warn({ graceMs: config.shutdownGraceMs }, 'the shutdown grace ran out; turns still running were cut short')
        try {
          await closeConnections(app)
        } finally {
          await ingesting
          await scheduledRun()
          await db.close()
        }
        logger.info('stopped')
      })()),
  }
}

/** After this, connections still open when the app closes are cut (a turn past the grace, keep-alive ones). */
const FORCE_CLOSE_AFTER_MS = 100

// app.close() waits for every open HTTP connection, and a keep-alive one that
// goes idle after close began would hold it until its keep-alive timeout.
async function closeConnections(app: Awaited<ReturnType<typeof buildApp>>): Promise<void> {
  const closed = app.close()
  const force = setTimeout(() => app.server.closeAllConnections(), FORCE_CLOSE_AFTER_MS)
  try {
    await closed
  } finally {
    clearTimeout(force)
  }
}
