// What a turn must pass before anything is stored: the instance is not
// overloaded, the user has room in their queue, and the user and the client's
// address are under their rate limits. Every transport goes through
// chat.handleMessage, so every transport gets the same limits.
import type { RateCounters } from '../db/rate-counters.ts'
import type { RateLimit } from './config.ts'

export type RefusalReason = 'rate_limit_user' | 'rate_limit_ip' | 'rate_limit_http' | 'pending_turns' | 'overloaded' | 'sockets_per_ip'

/** A message turned away on purpose; transports answer 429/503 with Retry-After or an error event. */
export class RefusedError extends Error {
  constructor(
    message: string,
    readonly reason: RefusalReason,
    readonly status: 429 | 503,
    readonly retryAfterSeconds: number,
  ) {
    super(message)
    this.name = 'RefusedError'
  }
}

export interface TurnLimitOptions {
  counters: RateCounters
  rateLimitUser?: RateLimit
  rateLimitIp?: RateLimit
  maxPendingPerUser: number
  maxTurnsInFlight: number
  /** True while the event loop lags more than allowed. */
  eventLoopLagging: () => boolean
}

const OVERLOAD_RETRY_SECONDS = 5

export function createTurnLimits(options: TurnLimitOptions) {
  const pending = new Map<string, number>()
  let inFlight = 0

  /**
   * Admits one turn of the user (`userKey`, already hashed) from `ip`, or throws
   * RefusedError. The returned function frees the turn's place when it ends.
   */
  async function admit(userKey: string, ip: string | undefined): Promise<() => void> {
    if ((options.maxTurnsInFlight > 0 && inFlight >= options.maxTurnsInFlight) || options.eventLoopLagging()) {
      throw new RefusedError(
        `Jelly is very busy right now 🪼 Please send your message again in ${OVERLOAD_RETRY_SECONDS} seconds.`,
        'overloaded',
        503,
        OVERLOAD_RETRY_SECONDS,
      )
    }
    const queued = pending.get(userKey) ?? 0
    if (options.maxPendingPerUser > 0 && queued >= options.maxPendingPerUser) {
      throw new RefusedError(`You already have ${queued} messages waiting for an answer; please wait for them before sending more.`, 'pending_turns', 429, 1)
    }
    // Taken before the counters are asked, so concurrent messages cannot all slip through.
    pending.set(userKey, queued + 1)
    inFlight++
    let released = false
    const release = () => {
      if (released) return
      released = true
      inFlight--
      const left = (pending.get(userKey) ?? 1) - 1
      if (left > 0) pending.set(userKey, left)
      else pending.delete(userKey)
    }
    try {
      await checkRates(userKey, ip)
    } catch (error) {
      release()
      throw error
    }
    return release
  }

  async function checkRates(userKey: string, ip: string | undefined): Promise<void> {
    const checks: { limit: RateLimit; key: string; reason: RefusalReason; who: string }[] = []
    if (options.rateLimitUser) checks.push({ limit: options.rateLimitUser, key: `user:${userKey}`, reason: 'rate_limit_user', who: 'this user' })
    if (options.rateLimitIp && ip) checks.push({ limit: options.rateLimitIp, key: `ip:${ip}`, reason: 'rate_limit_ip', who: 'your address' })
    if (checks.length === 0) return
    const hits = await options.counters.hit(checks.map(({ limit, key }) => ({ key, windowMs: limit.windowMs })))
    for (const [index, { limit, reason, who }] of checks.entries()) {
      const { count, resetInMs } = hits[index]
      if (count <= limit.max) continue
      const seconds = Math.max(1, Math.ceil(resetInMs / 1000))
      throw new RefusedError(
        `Too many messages from ${who}: at most ${limit.max} per ${describeWindow(limit.windowMs)}. Please wait ${seconds} s before sending another.`,
        reason,
        429,
        seconds,
      )
    }
  }

  return { admit, inFlight: () => inFlight }
}

export type TurnLimits = ReturnType<typeof createTurnLimits>

export function describeWindow(ms: number): string {
  if (ms % 86_400_000 === 0) return ms === 86_400_000 ? 'day' : `${ms / 86_400_000} days`
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'hour' : `${ms / 3_600_000} hours`
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} minutes`
  return ms === 1000 ? 'second' : `${ms / 1000} seconds`
}
