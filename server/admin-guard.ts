// The one check for operator-only routes: add `onRequest: adminOnly(config)` to a route.
// When ADMIN_TOKEN is set, the bearer token is needed.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from './config.ts'

export function adminOnly(config: Pick<Config, 'adminToken'>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (config.adminToken && !bearerMatches(request.headers.authorization, config.adminToken)) {
      return reply.code(401).send({ error: 'Authorization: Bearer <ADMIN_TOKEN> is required' })
    }
  }
}

// Constant-time, so the response time says nothing about how much of a guess was right.
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.match(/^Bearer\s+(.+)$/i)?.[1] ?? '')
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
