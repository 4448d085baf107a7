// buildApp(): the Fastify application, in layers — third-party plugins, then the
// transports, then routes. It receives ready-made services and owns no resources
// besides its sockets, so tests and server/start.ts compose it the same way.
import { EventEmitter } from 'node:events'
import type { Server } from 'node:http'
import Fastify, { type FastifyBaseLogger, type FastifyError } from 'fastify'
import cors from '@fastify/cors'
import websocket from '@fastify/websocket'
import type { Config } from './config.ts'
import type { ChatService } from './chat-service.ts'
import { ServiceUnavailableError } from './chat-service.ts'
import type { ChatRepository } from '../db/chat-repository.ts'
import type { Tool } from '../tools/types.ts'
import { describeValidationErrors, maxFrameBytes } from './message-input.ts'
import { chatRoutes } from './routes/chat.ts'
import { adminRoutes, type SearchFn } from './routes/admin.ts'
import { statusRoutes } from './routes/status.ts'
import { openaiRoutes } from './routes/openai.ts'
import { mcpRoute } from './transports/mcp.ts'
import { attachSocketIo } from './transports/socket-io.ts'
import { websocketRoute } from './transports/websocket.ts'

export interface AppServices {
  config: Config
  chat: ChatService
  repository: ChatRepository
  search: SearchFn
  logger: FastifyBaseLogger
  /** The agent's tools, also offered over MCP. */
  tools: Tool[]
}

export async function buildApp(services: AppServices) {
  const { config } = services
  const app = Fastify({
    loggerInstance: services.logger,
    bodyLimit: maxFrameBytes(config.maxMessageChars),
    schemaErrorFormatter: (errors, dataVar) => new Error(describeValidationErrors(errors, dataVar)),
  })

  // Chat clients send JSON; other bodies get a clear 415 instead of a confusing type error.
  app.removeContentTypeParser('text/plain')

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ServiceUnavailableError) return reply.code(503).send({ error: error.message })
    const status = error.statusCode ?? 500
    if (status < 500) return reply.code(status).send({ error: clientErrorMessage(error) })
    request.log.error({ err: error }, 'request failed')
    return reply.code(status).send({ error: 'Jelly could not handle this request right now, please try again' })
  })

  await app.register(cors, { origin: config.corsOrigin === '*' ? true : config.corsOrigin.split(',').map((o) => o.trim()) })
  // Socket.IO and @fastify/websocket both listen for HTTP upgrades, and the
  // latter answers 404 to paths it has no route for: give it only the others.
  const plainUpgrades = new EventEmitter()
  app.server.on('upgrade', (request, socket, head) => {
    if (!request.url?.startsWith('/socket.io/')) plainUpgrades.emit('upgrade', request, socket, head)
  })
  await app.register(websocket, { options: { server: plainUpgrades as Server, maxPayload: maxFrameBytes(config.maxMessageChars) } })

  attachSocketIo(app, services)
  await app.register(websocketRoute, services)
  await app.register(chatRoutes, services)
  await app.register(adminRoutes, services)
  await app.register(statusRoutes, services)
  await app.register(openaiRoutes, { ...services, prefix: '/v1' })
  await app.register(mcpRoute, services)
  return app
}

function clientErrorMessage(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError) {
    return 'body must be valid JSON'
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'body must be JSON sent with Content-Type: application/json'
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'body is too large'
  return error.message
}
