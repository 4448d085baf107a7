// Composition root: the shared services (server/compose.ts) and the app
// (composeApp), then listen (startServer). stop() drains turns before closing anything.
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { createLogger } from './logger.ts'
import type { Database } from '../db/connect.ts'
import { ingestOnStart } from '../knowledge/ingest-on-start.ts'
import { composeServices } from './compose.ts'
import { buildApp } from './app.ts'

export interface RunningServer {
  url: string
  port: number
  stop(): Promise<void>
}

/** Everything the server is made of, composed but not listening: what startServer() and the tests build on. */
export async function composeApp(config: Config, logger: Logger, database?: Database) {
  const { db, repository, knowledge, chat, tools } = await composeServices(config, logger, { database })
  try {
    const app = await buildApp({ config, chat, repository, search: (query, options) => knowledge.search(query, options), logger, tools })
    return { app, db, chat, knowledge, tools }
  } catch (error) {
    await db.close()
    throw error
  }
}

/** `database`, when given, is one already connected (main.ts starts it while the app's modules load). */
export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel), database?: Database): Promise<RunningServer> {
  const { app, db, chat, knowledge } = await composeApp(config, logger, database)
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
  const ingesting = ingestOnStart(db.sql, knowledge.embedder, config.ingestOnStart, logger, ingestion.signal)

  let stopping: Promise<void> | undefined
  return {
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    port,
    stop: () =>
      (stopping ??= (async () => {
        ingestion.abort()
        const drained = await chat.drain(config.shutdownGraceMs)
        if (!drained) logger.warn({ graceMs: config.shutdownGraceMs }, 'shutting down with turns still running')
        await app.close()
        await ingesting
        await db.close()
        logger.info('stopped')
      })()),
  }
}
