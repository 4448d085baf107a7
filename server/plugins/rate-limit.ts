// @fastify/rate-limit: RATE_LIMIT_HTTP requests per client IP on every REST
// route (a flood of /history reads costs the database too). A flood guard per
// instance, in the plugin's own bounded in-memory store, so it adds no database
// round trip; the message limits (server/turn-limits.ts) are the shared ones.
// Health checks and scrapes are exempt.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import type { RateLimit } from '../config.ts'
import { describeWindow } from '../turn-limits.ts'
import type { Metrics } from '../metrics.ts'

const EXEMPT = new Set(['/health', '/ready', '/metrics'])
// Addresses tracked at once; the least recently seen is forgotten first.
const TRACKED_ADDRESSES = 10_000

export async function registerRateLimit(app: FastifyInstance, limit: RateLimit | undefined, metrics: Metrics, clientIp: (request: FastifyRequest) => string) {
  if (!limit) return
  await app.register(rateLimit, {
    max: limit.max,
    timeWindow: limit.windowMs,
    cache: TRACKED_ADDRESSES,
    keyGenerator: clientIp,
    allowList: (request) => EXEMPT.has(request.routeOptions.url ?? ''),
    onExceeded: () => metrics.refused('rate_limit_http', 'rest'),
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        new Error(
          `Too many requests from your address: at most ${context.max} per ${describeWindow(limit.windowMs)}. Please wait ${Math.max(1, Math.ceil(context.ttl / 1000))} s.`,
        ),
        {
          statusCode: context.statusCode,
        },
      ),
  })
}
