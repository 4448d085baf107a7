// GET /metrics: Prometheus text format, admin-only like /messages_answers.
import type { FastifyPluginAsync } from 'fastify'
import type { AppServices } from '../services.ts'
import { adminOnly } from '../admin-guard.ts'

const errorReply = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const

export const metricsRoute: FastifyPluginAsync<AppServices> = async (app, { config, metrics }) => {
  app.get('/metrics', {
    onRequest: adminOnly(config),
    schema: {
      summary: 'Prometheus metrics',
      description: 'Turns, tools, LLM usage and cost, refusals, sockets, database, ingestion, process and event loop, in the Prometheus text format.',
      tags: ['admin'],
      security: [{ admin: [] }],
      response: { 200: { type: 'string', description: 'Prometheus text exposition format' }, '4xx': errorReply },
    },
    handler: async (_request, reply) => {
      reply.type(metrics.registry.contentType)
      return metrics.registry.metrics()
    },
  })
}
