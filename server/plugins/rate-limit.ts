// @fastify/rate-limit: RATE_LIMIT_HTTP requests per client IP on every REST
// route (a flood of /history reads costs the database too), counted in the same
// shared counters as the message limits. Health checks and scrapes are exempt.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import rateLimit from '@fastify/rate-limit'
import type { RateCounters } from '../../db/rate-counters.ts'
import type { RateLimit } from '../config.ts'
import { describeWindow } from '../turn-limits.ts'
import type { Metrics } from '../metrics.ts'

const EXEMPT = new Set(['/health', '/ready', '/metrics'])

type Done = (error: Error | null, result?: { current: number; ttl: number }) => void

export async function registerRateLimit(app: FastifyInstance, limit: RateLimit | undefined, counters: RateCounters, metrics: Metrics, clientIp: (request: FastifyRequest) => string) {
  if (!limit) return
  // The plugin's store interface, over our counters.
  class CounterStore {
    incr(key: string, done: Done, timeWindow: number) {
      counters.hit([{ key: `http:${key}`, windowMs: timeWindow }]).then(
        ([hit]) => done(null, { current: hit.count, ttl: hit.resetInMs }),
        (error: Error) => done(error),
      )
    }
    child() {
      return this
    }
  }
  await app.register(rateLimit, {
    max: limit.max,
    timeWindow: limit.windowMs,
    store: CounterStore,
    keyGenerator: clientIp,
    allowList: (request) => EXEMPT.has(request.routeOptions.url ?? ''),
    // The database being away is reported by the route itself, not as a 429.
    skipOnError: true,
    onExceeded: () => metrics.refused('rate_limit_http', 'rest'),
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`Too many requests from your address: at most ${context.max} per ${describeWindow(limit.windowMs)}. Please wait ${Math.max(1, Math.ceil(context.ttl / 1000))} s.`), {
        statusCode: context.statusCode,
      }),
  })
}
