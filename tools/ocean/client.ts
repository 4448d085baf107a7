// One gateway to Ocean for all tools: a WhaleApiClient per network, a shared
// cache with in-flight sharing, a bounded time per request, and Ocean's
// failures turned into the three results a user can tell apart
// (invalid argument, not found, live data unavailable).
import type { WhaleApiClient, ApiPagedResponse } from '@defichain/whale-api-client'
import type { Logger } from 'pino'
import { ToolError } from '../types.ts'
import type { OceanNetwork } from './address-codec.ts'
import { createTtlCache } from './cache.ts'
import { abortable, deadline } from '../../lib/deadline.ts'

export interface OceanOptions {
  url: string
  network: OceanNetwork
  timeoutMs: number
  log?: Logger
}

/** How long a result may be reused: live data for seconds, settled chain data for an hour. */
export const TTL = {
  live: 10_000,
  recent: 30_000,
  settled: 60 * 60_000,
} as const

interface OceanRead<T> {
  network: OceanNetwork
  /** Identifies the request within a network (usually its Ocean path). */
  key: string
  ttlMs: number
  /** The sentence shown when Ocean has no such thing (a 404 or an empty answer). */
  notFound: string
  fetch(client: WhaleApiClient): Promise<T | undefined>
}

export interface Ocean {
  defaultNetwork: OceanNetwork
  read<T>(request: OceanRead<T>, signal?: AbortSignal): Promise<T>
}

type WhaleSdk = typeof import('@defichain/whale-api-client')
// The Ocean SDK (~15 MB) loads with the first read, not with the server.
let whale: Promise<WhaleSdk> | undefined
const loadWhale = () => (whale ??= import('@defichain/whale-api-client'))

export function createOcean(options: OceanOptions): Ocean {
  const cache = createTtlCache({ maxEntries: 2000 })
  const clients = new Map<OceanNetwork, WhaleApiClient>()
  const clientFor = async (network: OceanNetwork): Promise<WhaleApiClient> => {
    let client = clients.get(network)
    if (!client) {
      client = new (await loadWhale()).WhaleApiClient({ url: options.url, network, version: 'v0', timeout: options.timeoutMs })
      clients.set(network, client)
    }
    return client
  }

  return {
    defaultNetwork: options.network,
    async read<T>(request: OceanRead<T>, signal?: AbortSignal): Promise<T> {
      const { network, key, ttlMs, notFound } = request
      const load = async (): Promise<T> => {
        const started = Date.now()
        try {
          const value = await request.fetch(await clientFor(network))
          options.log?.debug({ network, key, ms: Date.now() - started }, 'ocean request')
          if (value === undefined || value === null) throw new ToolError(notFound, 'not_found')
          return value
        } catch (error) {
          const toolError = toToolError(await loadWhale(), error, notFound, network, options.timeoutMs)
          if (toolError.kind === 'unavailable') {
            options.log?.warn({ network, key, ms: Date.now() - started, err: (error as Error).message }, 'ocean unavailable')
          }
          throw toolError
        }
      }
      // Each request stops at timeoutMs; this bounds reads that take several pages.
      const deadlineMs = options.timeoutMs * 2
      const readDeadline = deadline(deadlineMs, signal)
      try {
        return await abortable(cache.get(`${network}:${key}`, ttlMs, load), readDeadline.signal)
      } catch (error) {
        if (readDeadline.expired()) throw unavailable(`the ${network} Ocean API did not answer within ${formatSeconds(deadlineMs)}`)
        // The shared request keeps running for other callers; this caller stopped waiting.
        if (readDeadline.signal.aborted) throw unavailable('the request was cancelled before Ocean answered')
        throw error
      } finally {
        readDeadline.release()
      }
    },
  }
}

const MAX_PAGES = 10
/** Every item of an Ocean list, page by page, bounded so a huge list cannot run away. */
export async function readWholeList<T>(client: WhaleApiClient, first: Promise<ApiPagedResponse<T>>): Promise<T[]> {
  const items: T[] = []
  let page = await first
  for (let pages = 1; ; pages++) {
    items.push(...page)
    if (!page.hasNext || pages >= MAX_PAGES) return items
    page = await client.paginate(page)
  }
}

/** The answer users get when Ocean cannot help: a clear sentence, never a stack trace. */
function unavailable(detail: string): ToolError {
  return new ToolError(`Live chain data is unavailable right now (${detail}). Please try again in a moment.`, 'unavailable')
}

function toToolError(
  { WhaleApiException, WhaleClientTimeoutException }: WhaleSdk,
  error: unknown,
  notFound: string,
  network: OceanNetwork,
  timeoutMs: number,
): ToolError {
  if (error instanceof ToolError) return error
  if (error instanceof WhaleApiException) {
    if (error.code === 404) return new ToolError(notFound, 'not_found')
    if (error.code === 400 || error.code === 422) {
      const detail = error.error.message ? `: ${error.error.message}` : ''
      return new ToolError(`Ocean could not use that request${detail}.`, 'invalid_argument')
    }
    return unavailable(`the ${network} Ocean API answered with error ${error.code} ${error.type}`)
  }
  if (error instanceof WhaleClientTimeoutException) {
    return unavailable(`the ${network} Ocean API did not answer within ${formatSeconds(timeoutMs)}`)
  }
  // Connection refused, reset, DNS failures, or a body that is not Ocean's JSON.
  return unavailable(`the ${network} Ocean API could not be reached`)
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000
  return `${seconds} second${seconds === 1 ? '' : 's'}`
}
