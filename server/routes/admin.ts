// Endpoints for operators: the answered questions and the wiki retrieval.
// Both are admin-only (server/admin-guard.ts).
import type { FastifyPluginAsync } from 'fastify'
import type { AppServices } from '../services.ts'
import { adminOnly } from '../admin-guard.ts'
import { queryValidatorCompiler } from '../message-input.ts'

const errorReply = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const

export const adminRoutes: FastifyPluginAsync<AppServices> = async (app, { config, repository, search }) => {
  const guard = adminOnly(config)

  app.get<{ Querystring: { limit: number; before?: string } }>('/messages_answers', {
    onRequest: guard,
    validatorCompiler: queryValidatorCompiler,
    schema: {
      summary: 'Answered questions, newest first (admin)',
      tags: ['admin'],
      security: [{ admin: [] }],
      querystring: {
        type: 'object',
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          // An id from a previous page (its smallest), or an ISO date.
          before: { type: 'string', minLength: 1, maxLength: 40 },
        },
      },
      response: {
        200: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'integer' },
              date: { type: 'string' },
              question: { type: 'string' },
              answer: { type: 'string' },
              message_id: { type: ['integer', 'null'], description: "Jelly's answer in /history (null for turns stored before answers were linked)" },
              rating: { type: ['string', 'null'], enum: ['up', 'down', null], description: "the user's feedback on the answer, if any" },
              comment: { type: ['string', 'null'] },
            },
            required: ['id', 'date', 'question', 'answer', 'message_id', 'rating', 'comment'],
          },
        },
        '4xx': errorReply,
        '5xx': errorReply,
      },
    },
    handler: async (request, reply) => {
      const { limit, before } = request.query
      if (before === undefined) return repository.listQa(limit)
      if (/^\d+$/.test(before)) {
        const id = Number(before)
        if (!Number.isSafeInteger(id)) return reply.code(400).send({ error: `before is out of range (an id is at most ${Number.MAX_SAFE_INTEGER})` })
        return repository.listQa(limit, { id })
      }
      const date = new Date(before)
      if (!/^\d{4}-\d{2}-\d{2}/.test(before) || Number.isNaN(date.getTime())) return reply.code(400).send({ error: 'before must be an id or an ISO date' })
      // Postgres has no year 0 (its years start at 1 AD).
      if (date.getUTCFullYear() < 1) return reply.code(400).send({ error: 'before is out of range (dates start at 0001-01-01)' })
      return repository.listQa(limit, { date })
    },
  })

  app.get<{ Querystring: { q: string; k: number } }>('/search', {
    onRequest: guard,
    validatorCompiler: queryValidatorCompiler,
    schema: {
      summary: 'Wiki retrieval as the agent sees it (admin)',
      tags: ['admin'],
      security: [{ admin: [] }],
      querystring: {
        type: 'object',
        properties: {
          q: { type: 'string', minLength: 1, maxLength: 1000, pattern: '\\S' },
          k: { type: 'integer', minimum: 1, maximum: 50, default: 5 },
        },
        required: ['q'],
      },
      response: {
        200: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              source: { type: 'string' },
              title: { type: 'string' },
              url: { type: 'string' },
              heading: { type: 'string' },
              score: { type: 'number' },
              content: { type: 'string' },
            },
            required: ['source', 'title', 'url', 'heading', 'score', 'content'],
          },
        },
        '4xx': errorReply,
        '5xx': errorReply,
      },
    },
    handler: async (request) => search(request.query.q, { k: request.query.k }),
  })
}
