// Composition root: the shared services (server/compose.ts) and the app
// (composeApp), then listen (startServer). stop() drains turns before closing anything.
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { createLogger } from './logger.ts'
import type { OnIngestRun } from '../knowledge/ingest-on-start.ts'
import { composeServices, type ComposeOptions } from './compose.ts'
import { buildApp, type AppOptions } from './app.ts'
import type { Sql } from '../db/connect.ts'
import { tryLease } from '../db/leases.ts'
import { randomUUID } from 'node:crypto'

export interface RunningServer {
  url: string
  port: number
  stop(): Promise<void>
}

/** Everything the server is made of, composed but not listening: what startServer() and the tests build on. */
export async function composeApp(config: Config, logger: Logger, appOptions: AppOptions = {}, composeOptions: ComposeOptions = {}) {
  const { db, repository, knowledge, chat, tools, metrics, userTurns, stopWatching } = await composeServices(config, logger, composeOptions)
  try {
    const app = await buildApp({ config, chat, repository, search: (query, options) => knowledge.search(query, options), logger, tools, metrics }, appOptions)
    app.addHook('onClose', async () => stopWatching())
    return { app, db, chat, knowledge, tools, metrics, userTurns }
  } catch (error) {
    await db.close()
    throw error
  }
}

export async function startServer(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  appOptions: AppOptions = {},
  composeOptions: ComposeOptions = {},
): Promise<RunningServer> {
  const { app, db, chat, knowledge, metrics, userTurns } = await composeApp(config, logger, appOptions, composeOptions)
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await app.close()
    userTurns.close()
    await db.close()
    throw error
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  logger.info({ port, database: db.where, pooler: db.transactionPooler ? 'transaction' : undefined, mode: config.llmEnabled ? 'llm' : 'offline' }, 'Jelly is listening')
  // A base built with another embedder answers no wiki question: the operator hears it now, not from users.
  const mismatch = await knowledge.mismatch().catch((error: unknown) => void logger.warn({ err: error }, 'knowledge base not checked'))
  if (mismatch) logger.error(mismatch)

  const ingestion = new AbortController()
  const onIngestRun: OnIngestRun = (trigger, outcome, summary) => metrics.ingestRun(trigger, outcome, summary)
  let scheduledRun: () => Promise<unknown> = async () => undefined
  // Ingestion's modules (an HTML parser, markdown, YAML: ~25 MB) load only where it is configured.
  const ingesting = config.ingestOnStart.length
    ? import('../knowledge/ingest-on-start.ts').then(async ({ ingestOnStart, scheduleIngest }) => {
        await ingestOnceAtATime(db.sql, logger, () => ingestOnStart(db.sql, knowledge.embedder, config.ingestOnStart, logger, ingestion.signal, onIngestRun))
        if (config.ingestEveryMs === undefined) return
        const every = { sql: db.sql, embedder: knowledge.embedder, jobs: config.ingestOnStart, everyMs: config.ingestEveryMs, log: logger, signal: ingestion.signal }
        scheduledRun = scheduleIngest({ ...every, onRun: onIngestRun })
      })
    : Promise.resolve()

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
          userTurns.close()
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
export async function closeConnections(app: Awaited<ReturnType<typeof buildApp>>): Promise<void> {
  const closed = app.close()
  const force = setTimeout(() => app.server.closeAllConnections(), FORCE_CLOSE_AFTER_MS)
  try {
    await closed
  } finally {
    clearTimeout(force)
  }
}

// Instances sharing a database ingest one at a time: while one holds the lease,
// the others leave it to that one (ingestion is incremental, a later start refreshes).
async function ingestOnceAtATime(sql: Sql, logger: Logger, ingest: () => Promise<void>): Promise<void> {
  let lease
  try {
    lease = await tryLease(sql, 'knowledge-ingest', randomUUID(), 60_000)
  } catch (error) {
    return logger.error({ err: error }, 'ingestion on start failed: could not take its lease')
  }
  if (!lease) return logger.info('ingestion on start skipped: another instance is ingesting')
  logger.info('ingestion on start: running (this instance holds the lease)')
  try {
    await ingest()
  } finally {
    logger.info('ingestion on start: done')
    await lease.release().catch((error: unknown) => logger.warn({ err: error }, 'could not release the ingestion lease'))
  }
}
