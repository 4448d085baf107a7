// Composition root: connect the database, migrate, build the embedder, tools,
// one tool runner, agents, chat service and app (composeApp), then listen
// (startServer). stop() drains turns before closing anything.
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { createLogger } from './logger.ts'
import { connectDatabase, type Database } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { chatRepository } from '../db/chat-repository.ts'
import { mathTool } from '../tools/math.ts'
import { createOceanTools } from '../tools/ocean/index.ts'
import { createOceanToolGroups } from '../tools/ocean/groups.ts'
import { createWikiTool } from '../tools/wiki.ts'
import { createKnowledgeBaseWith } from '../knowledge/index.ts'
import { createEmbedder } from '../knowledge/embedders/index.ts'
import { ingestOnStart } from '../knowledge/ingest-on-start.ts'
import { createOfflineAgent } from '../agent/offline.ts'
import { createLlmAgent } from '../agent/llm.ts'
import { createToolRunner } from '../agent/run-tool-calls.ts'
import { createChatService } from './chat-service.ts'
import { buildApp } from './app.ts'

export interface RunningServer {
  url: string
  port: number
  stop(): Promise<void>
}

/** Everything the server is made of, composed but not listening: what startServer() and the tests build on. */
export async function composeApp(config: Config, logger: Logger, database?: Database) {
  const db = database ?? (await connectDatabase(config))
  try {
    const applied = await migrate(db.sql)
    if (applied.length) logger.info({ migrations: applied }, 'database migrated')

    const repository = chatRepository(db.sql)
    const knowledge = createKnowledgeBaseWith({ sql: db.sql, embedder: createEmbedder(config), log: logger })
    const reads = createOceanTools({ url: config.oceanUrl, network: config.oceanNetwork, timeoutMs: config.oceanTimeoutMs, log: logger })
    const wiki = createWikiTool(knowledge)
    // Offline mode routes to the fine-grained reads; the model (and MCP) are offered them grouped by subject, which costs far fewer prompt tokens.
    const tools = [mathTool, ...reads, wiki]
    const offered = [mathTool, ...createOceanToolGroups(reads), wiki]
    const runner = createToolRunner(offered, config.toolTimeoutMs, { unlisted: tools })
    const offline = createOfflineAgent(tools, { runner })
    const agent = config.llmEnabled
      ? createLlmAgent({
          tools: offered,
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
    const chat = createChatService({ repository, agent, log: logger, historyWindow: config.historyWindow, turnTimeoutMs: config.turnTimeoutMs })
    const app = await buildApp({ config, chat, repository, search: (query, options) => knowledge.search(query, options), logger, tools: runner })
    return { app, db, chat, knowledge, tools: runner }
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
