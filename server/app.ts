// buildApp(): the Fastify application, in layers — third-party plugins, then the
// transports, then routes. It receives ready-made services and owns no resources
// besides its sockets, so tests and server/start.ts compose it the same way.
import { EventEmitter } from 'node:events'
import type { Server } from 'node:http'
import { readFileSync } from 'node:fs'
import Fastify, { type FastifyRequest, type RouteOptions } from 'fastify'
import websocket from '@fastify/websocket'
import type { AppServices, TransportServices } from './services.ts'
import { restError } from './errors.ts'
import { invalidUtf8Error, maxFrameBytes } from './message-input.ts'
import { describeValidationErrors } from '../lib/validation.ts'
import { chatRoutes } from './routes/chat.ts'
import { feedbackRoutes } from './routes/feedback.ts'
import { adminRoutes } from './routes/admin.ts'
import { statusRoutes } from './routes/status.ts'
import { metricsRoute } from './routes/metrics.ts'
import { compileTrust, createClientIp } from './client-ip.ts'
import { createSocketLimit } from './socket-limit.ts'
import { registerCors } from './plugins/cors.ts'
import { registerRateLimit } from './plugins/rate-limit.ts'
import { registerSwagger } from './plugins/swagger.ts'
import { registerHelmet } from './plugins/helmet.ts'
import { chatPage } from './routes/page.ts'
import { attachSocketIo } from './transports/socket-io.ts'
import { websocketRoute } from './transports/websocket.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address by the TRUST_PROXY rule (Fly-Client-IP, X-Forwarded-For), as the sockets see it. */
    clientIp: string
  }
}

export interface AppOptions {
  /** Sees every route as it is registered (the OpenAPI coverage test lists them). */
  onRoute?: (route: RouteOptions) => void
}

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

export async function buildApp(appServices: AppServices, options: AppOptions = {}) {
  const { config } = appServices
  const services: TransportServices = { ...appServices, socketLimit: createSocketLimit(config.maxSocketsPerIp) }
  const clientIp = createClientIp(config.trustProxy)
  const app = Fastify({
    loggerInstance: services.logger,
    trustProxy: compileTrust(config.trustProxy),
    bodyLimit: maxFrameBytes(config.maxMessageChars),
    // A client gets REQUEST_TIMEOUT_MS to send headers and body (checked every
    // second, not Node's 30 s), idle keep-alive connections close after
    // KEEP_ALIVE_TIMEOUT_MS, and a connection waiting for an answer is bounded
    // by the turn timeout; upgraded sockets have their own ping timeouts.
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: { requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: 1000 },
    schemaErrorFormatter: (errors, dataVar) => new Error(describeValidationErrors(errors, dataVar)),
  })

  // Chat clients send JSON; other bodies get a clear 415 instead of a confusing type error.
  app.removeContentTypeParser('text/plain')
  // Fastify's JSON parser (prototype-poisoning checks included), after a check that
  // the bytes are UTF-8: decoded, invalid bytes would turn into U+FFFD unnoticed.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    const invalid = invalidUtf8Error(body, 'body')
    if (invalid) return done(Object.assign(new Error(invalid), { statusCode: 400, code: 'JELLY_INVALID_UTF8' }), undefined)
    parseJson(request, body.toString('utf8'), done)
  })

  app.decorateRequest('clientIp', {
    getter(this: FastifyRequest) {
      return clientIp(this.headers, this.socket.remoteAddress)
    },
  })

  app.setErrorHandler((error, request, reply) => {
    const { status, body, retryAfterSeconds } = restError(error, request.log)
    if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
    return reply.code(status).send(body)
  })

  if (options.onRoute) app.addHook('onRoute', options.onRoute)
  await registerHelmet(app)
  await registerCors(app, config.corsOrigin)
  await registerRateLimit(app, config.rateLimitHttp, services.metrics, (request) => request.clientIp)
  // Socket.IO and @fastify/websocket both listen for HTTP upgrades, and the
  // latter answers 404 to paths it has no route for: give it only the others.
  // /ws checks UTF-8 itself, so a bad text frame gets an error event like any
  // other bad input instead of a closed connection.
  const plainUpgrades = new EventEmitter()
  app.server.on('upgrade', (request, socket, head) => {
    if (!request.url?.startsWith('/socket.io/')) plainUpgrades.emit('upgrade', request, socket, head)
  })
  await app.register(websocket, { options: { server: plainUpgrades as Server, maxPayload: maxFrameBytes(config.maxMessageChars), skipUTF8Validation: true } })

  await registerSwagger(app, VERSION)

  attachSocketIo(app, services)
  await app.register(websocketRoute, services)
  await app.register(chatRoutes, services)
  await app.register(feedbackRoutes, services)
  await app.register(adminRoutes, services)
  await app.register(statusRoutes, services)
  await app.register(metricsRoute, services)
  if (config.page) await app.register(chatPage)
  return app
}
