// The composition shared by the server (composeApp in start.ts) and the
// terminal chat: connect the database, migrate, build the embedder, tools, one
// tool runner, agents and chat service. Whoever calls it owns the result and
// closes the database when done.
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { connectDatabase, type Database } from '../db/connect.ts'
import type { EmbeddedPostgres } from '../db/embedded.ts'
import { migrate } from '../db/migrate.ts'
import { chatRepository, type ChatRepository } from '../db/chat-repository.ts'
import { mathTool } from '../tools/math.ts'
import { createOceanTools } from '../tools/ocean/index.ts'
import { createOceanToolGroups } from '../tools/ocean/groups.ts'
import { createWikiTool } from '../tools/wiki.ts'
import { createKnowledgeBaseWith } from '../knowledge/index.ts'
import { createEmbedder } from '../knowledge/embedders/index.ts'
import { createOfflineAgent } from '../agent/offline.ts'
import { createToolRunner, type ToolRunner } from '../agent/run-tool-calls.ts'
import type { AgentTrace } from '../agent/types.ts'
import { createChatService, type ChatService } from './chat-service.ts'
import { createTurnLimits } from './turn-limits.ts'
import { watchEventLoopLag } from './event-loop-lag.ts'
import { memoryCounters, postgresCounters } from '../db/rate-counters.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { createUserTurns, STALE_AFTER_MS, type UserTurns } from './user-turns.ts'
import { turnQueue } from '../db/turn-queue.ts'

export interface Services {
  db: Database
  repository: ChatRepository
  knowledge: ReturnType<typeof createKnowledgeBaseWith>
  chat: ChatService
  tools: ToolRunner
  metrics: Metrics
  /** Stops the event-loop watch behind the overload check. */
  stopWatching(): void
  /** Per-user turn order; close() stops its heartbeat. */
  userTurns: UserTurns
}

export interface ComposeOptions {
  /** Sees what the agent does inside a turn (the terminal chat's --debug). */
  trace?: AgentTrace
  /** The embedded database, already starting (server/main.ts starts it before loading the app). */
  embedded?: Promise<EmbeddedPostgres>
}

export async function composeServices(config: Config, logger: Logger, options: ComposeOptions = {}): Promise<Services> {
  const metrics = createMetrics()
  const db = await connectDatabase({ ...config, onQuery: metrics.dbQuery, embedded: options.embedded })
  metrics.dbPoolSize(db.sql.options.max)
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
    const offline = createOfflineAgent(tools, { runner, trace: options.trace })
    // The openai SDK loads only where a model is configured; offline mode never needs it.
    const agent = config.llmEnabled
      ? (await import('../agent/llm.ts')).createLlmAgent({
          tools: offered,
          runner,
          fallback: offline,
          model: config.llmModel,
          apiKey: config.openaiApiKey,
          baseUrl: config.openaiBaseUrl,
          maxToolRounds: config.maxToolRounds,
          tokenFlushMs: config.tokenFlushMs,
          toolTimeoutMs: config.toolTimeoutMs,
          prices: config.llmPrices,
          trace: options.trace,
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
    // The embedded database belongs to this process alone: no other instance to order turns with.
    const userTurns = createUserTurns({ queue: db.embedded ? undefined : turnQueue(db.sql, STALE_AFTER_MS), waitTimeoutMs: config.turnQueueTimeoutMs, log: logger })
    const chat = createChatService({
      repository,
      agent,
      log: logger,
      historyWindow: config.historyWindow,
      turnTimeoutMs: config.turnTimeoutMs,
      userTurns,
      limits,
      metrics,
    })
    return { db, repository, knowledge, chat, tools: runner, metrics, userTurns, stopWatching: eventLoop.stop }
  } catch (error) {
    await db.close()
    throw error
  }
}
