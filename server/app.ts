// buildApp(): the Fastify application, in layers — third-party plugins, then the
// transports, then routes. It receives ready-made services and owns no resources
// besides its sockets, so tests and server/start.ts compose it the same way.
import { EventEmitter } from 'node:events'
import type { Server } from 'node:http'
import Fastify from 'fastify'
import cors from '@fastify/cors'
import websocket from '@fastify/websocket'
import type { AppServices } from './services.ts'
import { restError } from './errors.ts'
import { invalidUtf8Error, maxFrameBytes } from './message-input.ts'
import { describeValidationErrors } from '../lib/validation.ts'
import { chatRoutes } from './routes/chat.ts'
import { feedbackRoutes } from './routes/feedback.ts'
import { adminRoutes } from './routes/admin.ts'
import { statusRoutes } from './routes/status.ts'
import { chatPage } from './routes/page.ts'
import { attachSocketIo } from './transports/socket-io.ts'
import { websocketRoute } from './transports/websocket.ts'

export async function buildApp(services: AppServices) {
  const { config } = services
  const app = Fastify({
    loggerInstance: services.logger,
    bodyLimit: maxFrameBytes(config.maxMessageChars),
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

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = restError(error, request.log)
    return reply.code(status).send(body)
  })

  await app.register(cors, { origin: config.corsOrigin === '*' ? true : config.corsOrigin.split(',').map((o) => o.trim()) })
  // Socket.IO and @fastify/websocket both listen for HTTP upgrades, and the
  // latter answers 404 to paths it has no route for: give it only the others.
  // /ws checks UTF-8 itself, so a bad text frame gets an error event like any
  // other bad input instead of a closed connection.
  const plainUpgrades = new EventEmitter()
  app.server.on('upgrade', (request, socket, head) => {
    if (!request.url?.startsWith('/socket.io/')) plainUpgrades.emit('upgrade', request, socket, head)
  })
  await app.register(websocket, { options: { server: plainUpgrades as Server, maxPayload: maxFrameBytes(config.maxMessageChars), skipUTF8Validation: true } })

  attachSocketIo(app, services)
  await app.register(websocketRoute, services)
  await app.register(chatRoutes, services)
  await app.register(feedbackRoutes, services)
  await app.register(adminRoutes, services)
  await app.register(statusRoutes, services)
  if (config.page) await app.register(chatPage)
  return app
}
