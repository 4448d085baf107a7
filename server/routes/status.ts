import type { FastifyPluginAsync } from 'fastify'
import type { AppServices } from '../services.ts'

export const statusRoutes: FastifyPluginAsync<AppServices> = async (app, { repository, chat }) => {
  const errorReply = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const

  app.get('/health', {
    schema: { summary: 'Liveness: 200 while the process is up', tags: ['status'], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
    handler: async () => ({ status: 'ok' }),
  })

  app.get('/ready', {
    schema: {
      summary: 'Readiness: 200 when the database answers and the server is not draining',
      tags: ['status'],
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
      summary: 'Human messages so far, as a shields.io endpoint badge',
      tags: ['status'],
      response: {
        '4xx': errorReply,
        '5xx': errorReply,
        200: {
          type: 'object',
          properties: {
            schemaVersion: { type: 'integer' },
            subject: { type: 'string' },
            label: { type: 'string' },
            status: { type: 'string' },
            message: { type: 'string' },
            color: { type: 'string' },
          },
        },
      },
    },
    handler: async () => {
      const count = String(await repository.humanMessageCount())
      return { schemaVersion: 1, subject: 'messages', label: 'messages', status: count, message: count, color: 'blue' }
    },
  })
}
