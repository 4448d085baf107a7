import type { FastifyPluginAsync } from 'fastify'
import type { AppServices } from '../services.ts'

export const statusRoutes: FastifyPluginAsync<AppServices> = async (app, { repository, chat }) => {
  app.get('/health', {
    schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
    handler: async () => ({ status: 'ok' }),
  })

  app.get('/ready', {
    schema: {
      response: {
        200: { type: 'object', properties: { status: { type: 'string' } } },
        503: { type: 'object', properties: { status: { type: 'string' }, error: { type: 'string' } } },
      },
    },
    handler: async (request, reply) => {
      // Draining: a load balancer should send new users elsewhere.
      if (!chat.accepting()) return reply.code(503).send({ status: 'draining', error: 'the server is shutting down' })
      try {
        await repository.ping()
        return { status: 'ready' }
      } catch (error) {
        request.log.warn({ err: error }, 'database is not answering')
        return reply.code(503).send({ status: 'unavailable', error: 'the database is not answering' })
      }
    },
  })

  // A shields.io endpoint badge: https://shields.io/badges/endpoint-badge
  app.get('/human_message_count', {
    schema: {
      response: {
        200: {
          type: 'object',
          properties: { schemaVersion: { type: 'integer' }, subject: { type: 'string' }, label: { type: 'string' }, status: { type: 'string' }, message: { type: 'string' }, color: { type: 'string' } },
        },
      },
    },
    handler: async () => {
      const count = String(await repository.humanMessageCount())
      return { schemaVersion: 1, subject: 'messages', label: 'messages', status: count, message: count, color: 'blue' }
    },
  })
}
