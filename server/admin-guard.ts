// The one check for operator-only routes: add `onRequest: adminOnly(config)` to a route.
// Closed unless ADMIN_TOKEN is set (then the bearer token is needed) or ADMIN_OPEN=true.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from './config.ts'

export const ADMIN_CLOSED_MESSAGE =
  'admin endpoints are closed: set ADMIN_TOKEN (16+ characters) and send Authorization: Bearer <ADMIN_TOKEN>, or set ADMIN_OPEN=true to open them to everyone'

export function adminOnly(config: Pick<Config, 'adminToken' | 'adminOpen'>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (config.adminToken === undefined) {
      if (!config.adminOpen) return reply.code(403).send({ error: ADMIN_CLOSED_MESSAGE })
      return
    }
    if (!bearerMatches(request.headers.authorization, config.adminToken)) {
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
