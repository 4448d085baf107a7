// What buildApp() is given: ready-made services that routes and transports use.
// Its own module, so routes depend on it and not on app.ts, which imports them.
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from './config.ts'
import type { ChatService } from './chat-service.ts'
import type { ChatRepository } from '../db/chat-repository.ts'
import type { SearchHit } from '../knowledge/index.ts'
import type { ToolRunner } from '../agent/run-tool-calls.ts'
import type { Metrics } from './metrics.ts'
import type { SocketLimit } from './socket-limit.ts'

export type SearchFn = (query: string, options: { k: number }) => Promise<SearchHit[]>

export interface AppServices {
  config: Config
  chat: ChatService
  repository: ChatRepository
  search: SearchFn
  logger: FastifyBaseLogger
  /** Runs one tool by name with the agent's validation and timeout, for transports that offer tools (MCP). */
  tools?: ToolRunner
  metrics: Metrics
}

/** What buildApp adds for the transports: the socket limit they share. */
export interface TransportServices extends AppServices {
  socketLimit: SocketLimit
}
