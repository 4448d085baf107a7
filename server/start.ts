// Composition root: connect the database, migrate, build the embedder, tools,
// one tool runner, agents, chat service and app (composeApp), then listen
// (startServer). stop() drains turns before closing anything.
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { createLogger } from './logger.ts'
import { connectDatabase, type Sql } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { chatRepository } from '../db/chat-repository.ts'
import { mathTool } from '../tools/math.ts'
import { createOceanTools } from '../tools/ocean/index.ts'
import { createWikiTool } from '../tools/wiki.ts'
import { createKnowledgeBaseWith } from '../knowledge/index.ts'
import { createEmbedder } from '../knowledge/embedders/index.ts'
import { ingestOnStart } from '../knowledge/ingest-on-start.ts'
import { createOfflineAgent } from '../agent/offline.ts'
import { createLlmAgent } from '../agent/llm.ts'
import { createToolRunner } from '../agent/run-tool-calls.ts'
import { createChatService } from './chat-service.ts'
import { buildApp } from './app.ts'
import { createUserTurns, STALE_AFTER_MS } from './user-turns.ts'
import { turnQueue } from '../db/turn-queue.ts'
import { tryLease } from '../db/leases.ts'
import { randomUUID } from 'node:crypto'

export interface RunningServer {
  url: string
  port: number
  stop(): Promise<void>
}

/** Everything the server is made of, composed but not listening: what startServer() and the tests build on. */
export async function composeApp(config: Config, logger: Logger) {
  const db = await connectDatabase(config)
  try {
    const applied = await migrate(db.sql)
    if (applied.length) logger.info({ migrations: applied }, 'database migrated')

    const repository = chatRepository(db.sql)
    const knowledge = createKnowledgeBaseWith({ sql: db.sql, embedder: createEmbedder(config), log: logger })
    const tools = [
      mathTool,
      ...createOceanTools({ url: config.oceanUrl, network: config.oceanNetwork, timeoutMs: config.oceanTimeoutMs, log: logger }),
      createWikiTool(knowledge),
    ]
    const runner = createToolRunner(tools, config.toolTimeoutMs)
    const offline = createOfflineAgent(tools, { runner })
    const agent = config.llmEnabled
      ? createLlmAgent({
          tools,
          runner,
          fallback: offline,
          model: config.llmModel,
          apiKey: config.openaiApiKey,
          baseUrl: config.openaiBaseUrl,
          maxToolRounds: config.maxToolRounds,
          toolTimeoutMs: config.toolTimeoutMs,
          prices: config.llmPrices,
        })
      : offline
    // The embedded database belongs to this process alone: no other instance to order turns with.
    const userTurns = createUserTurns({ queue: db.embedded ? undefined : turnQueue(db.sql, STALE_AFTER_MS), waitTimeoutMs: config.turnQueueTimeoutMs, log: logger })
    const chat = createChatService({ repository, agent, log: logger, historyWindow: config.historyWindow, turnTimeoutMs: config.turnTimeoutMs, userTurns })
    const app = await buildApp({ config, chat, repository, search: (query, options) => knowledge.search(query, options), logger, tools: runner })
    return { app, db, chat, knowledge, tools: runner, userTurns }
  } catch (error) {
    await db.close()
    throw error
  }
}

export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const { app, db, chat, knowledge, userTurns } = await composeApp(config, logger)
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await app.close()
    await db.close()
    throw error
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  logger.info({ port, database: db.where, pooler: db.transactionPooler ? 'transaction' : undefined, mode: config.llmEnabled ? 'llm' : 'offline' }, 'Jelly is listening')

  const ingestion = new AbortController()
  const ingesting = config.ingestOnStart.length
    ? ingestOnceAtATime(db.sql, logger, () => ingestOnStart(db.sql, knowledge.embedder, config.ingestOnStart, logger, ingestion.signal))
    : Promise.resolve()

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
        userTurns.close()
        await db.close()
        logger.info('stopped')
      })()),
  }
}

// Instances sharing a database ingest one at a time: while one holds the lease,
// the others leave it to that one (ingestion is incremental, a later start refreshes).
async function ingestOnceAtATime(sql: Sql, logger: Logger, ingest: () => Promise<void>): Promise<void> {
  let lease
  try {
    lease = await tryLease(sql, 'ingest-on-start', randomUUID(), 60_000)
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
