// Composition root: connect the database, migrate, build the embedder, tools,
// one tool runner, agents, chat service and app (composeApp), then listen
// (startServer). stop() drains turns before closing anything.
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { createLogger } from './logger.ts'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { chatRepository } from '../db/chat-repository.ts'
import { mathTool } from '../tools/math.ts'
import { createOceanTools } from '../tools/ocean/index.ts'
import { createWikiTool } from '../tools/wiki.ts'
import { createKnowledgeBaseWith } from '../knowledge/index.ts'
import { createEmbedder } from '../knowledge/embedders/index.ts'
import { ingestOnStart, scheduleIngest, type OnIngestRun } from '../knowledge/ingest-on-start.ts'
import { createOfflineAgent } from '../agent/offline.ts'
import { createLlmAgent } from '../agent/llm.ts'
import { createToolRunner } from '../agent/run-tool-calls.ts'
import { createChatService } from './chat-service.ts'
import { createTurnLimits } from './turn-limits.ts'
import { watchEventLoopLag } from './event-loop-lag.ts'
import { memoryCounters, postgresCounters } from '../db/rate-counters.ts'
import { buildApp, type AppOptions } from './app.ts'
import { createMetrics } from './metrics.ts'

export interface RunningServer {
  url: string
  port: number
  stop(): Promise<void>
}

/** Everything the server is made of, composed but not listening: what startServer() and the tests build on. */
export async function composeApp(config: Config, logger: Logger, appOptions: AppOptions = {}) {
  const metrics = createMetrics()
  const db = await connectDatabase({ ...config, onQuery: metrics.dbQuery })
  metrics.dbPoolSize(db.sql.options.max)
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
    // Several instances share a real Postgres; the embedded one belongs to this process alone.
    const counters = db.embedded ? memoryCounters() : postgresCounters(db.sql)
    const eventLoop = watchEventLoopLag(config.maxEventLoopDelayMs)
    const limits = createTurnLimits({
      counters,
      rateLimitUser: config.rateLimitUser,
      rateLimitIp: config.rateLimitIp,
      maxPendingPerUser: config.maxPendingPerUser,
      maxTurnsInFlight: config.maxTurnsInFlight,
      eventLoopLagging: eventLoop.lagging,
    })
    const chat = createChatService({ repository, agent, log: logger, historyWindow: config.historyWindow, turnTimeoutMs: config.turnTimeoutMs, limits, metrics })
    const app = await buildApp({ config, chat, repository, search: (query, options) => knowledge.search(query, options), logger, tools: runner, metrics }, appOptions)
    app.addHook('onClose', async () => eventLoop.stop())
    return { app, db, chat, knowledge, tools: runner, metrics }
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
        if (!drained) logger.warn({ graceMs: config.shutdownGraceMs }, 'shutting down with turns still running')
        await app.close()
        await ingesting
        await scheduledRun()
        await db.close()
        logger.info('stopped')
      })()),
  }
}
