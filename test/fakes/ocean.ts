// A fake Ocean REST API on 127.0.0.1: Ocean's real paths (/v0/{network}/...),
// {data, page} bodies, Ocean's error bodies, a request log, and switches to
// make it slow or broken. Data lives in ocean-data.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MAINNET, TESTNET } from './ocean-data.ts'

export interface FakeOcean {
  url: string
  /** Paths (with query) of every request, in arrival order. */
  requests: string[]
  /** How many requests had a path starting with prefix (e.g. "/v0/mainnet/stats"). */
  count(prefix?: string): number
  /** Delay every response by ms (slower than the client timeout simulates a hung Ocean). */
  setDelay(ms: number): void
  /** 'html' answers 502 with an HTML page (a proxy error); 'error' answers Ocean's 503 error body. */
  setFailure(mode: 'none' | 'html' | 'error'): void
  stop(): Promise<void>
}

interface Teardown {
  teardown(fn: () => unknown): void
}

type Json = Record<string, unknown>
type Reply = { status: number; body: Json | string }

export async function startFakeOcean(t?: Teardown): Promise<FakeOcean> {
  const requests: string[] = []
  let delayMs = 0
  let failure: 'none' | 'html' | 'error' = 'none'
  const delayed = new Set<NodeJS.Timeout>()

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? '/'
    requests.push(path)
    const reply =
      failure === 'html'
        ? { status: 502, body: '<html><body>502 Bad Gateway</body></html>' }
        : failure === 'error'
          ? oceanError(503, 'BadGateway', 'Service Unavailable', path)
          : route(request.method ?? 'GET', path)
    const send = () => {
      if (response.destroyed) return
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)
      response.writeHead(reply.status, { 'content-type': typeof reply.body === 'string' ? 'text/html' : 'application/json' })
      response.end(text)
    }
    if (delayMs === 0) return send()
    const timer = setTimeout(() => {
      delayed.delete(timer)
      send()
    }, delayMs)
    delayed.add(timer)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    for (const timer of delayed) clearTimeout(timer)
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t?.teardown(stop)

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (prefix = '') => requests.filter((path) => path.startsWith(prefix)).length,
    setDelay: (ms) => {
      delayMs = ms
    },
    setFailure: (mode) => {
      failure = mode
    },
    stop,
  }
}

/** A URL where nothing listens: a port that was free a moment ago. */
export async function unreachableOceanUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

function oceanError(code: number, type: string, message: string, url: string): Reply {
  return { status: code, body: { error: { code, type, at: Date.now(), message, url } } }
}

const notFound = (message: string, url: string) => oceanError(404, 'NotFound', message, url)

/** Ocean's {data} body; undefined data serialises to {} as Ocean's interceptor does. */
const data = (value: unknown): Reply => ({ status: 200, body: { data: value } })

/** Ocean's paged body: `next` is the key of the last item when more remain. */
function paged<T>(items: T[], query: URLSearchParams, keyOf: (item: T) => string): Reply {
  const size = Math.min(Number(query.get('size') ?? 30) || 30, 200)
  const next = query.get('next')
  const start = next === null ? 0 : items.findIndex((item) => keyOf(item) === next) + 1
  const slice = items.slice(start, start + size)
  const more = start + size < items.length
  return { status: 200, body: more ? { data: slice, page: { next: keyOf(slice[slice.length - 1]) } } : { data: slice } }
}

function route(method: string, url: string): Reply {
  const { pathname, searchParams: query } = new URL(url, 'http://fake')
  const match = /^\/v0\/(mainnet|testnet)\/(.*)$/.exec(pathname)
  if (method !== 'GET' || !match) return notFound(`Cannot ${method} ${pathname}`, url)
  const [, network, path] = match
  return network === 'mainnet' ? routeMainnet(path, query, url) : routeTestnet(path, query, url)
}

function routeMainnet(path: string, query: URLSearchParams, url: string): Reply {
  const parts = path.split('/').map(decodeURIComponent)
  const chain = MAINNET
  switch (path) {
    case 'stats':
      return data(chain.stats)
    case 'stats/supply':
      return data(chain.supply)
    case 'stats/burn':
      return data(chain.burn)
    case 'stats/rewards/distribution':
      return data(chain.rewardDistribution)
    case 'blocks':
      return paged(chain.blocks, query, (block) => String(block.height))
    case 'tokens':
      return paged(chain.tokens, query, (token) => token.id)
    case 'poolpairs':
      return paged(chain.poolpairs, query, (pool) => pool.id)
    case 'governance/proposals': {
      const status = query.get('status') ?? 'all'
      const proposals = chain.proposals.filter((proposal) => status === 'all' || proposal.status.toLowerCase() === status)
      return paged(proposals, query, (proposal) => proposal.proposalId)
    }
  }
  const [area, id, sub, subsub] = parts
  if (area === 'blocks' && id && !sub) {
    return data(chain.blocks.find((block) => block.hash === id || String(block.height) === id))
  }
  if (area === 'blocks' && sub === 'transactions') {
    const block = chain.blocks.find((candidate) => candidate.hash === id)
    const transactions = (chain.blockTransactions[id] ?? []).map((tx) => ({
      ...chain.transaction,
      ...tx,
      id: tx.txid,
      hash: tx.txid,
      block: { hash: id, height: block?.height ?? 0, time: block?.time ?? 0, medianTime: block?.medianTime ?? 0 },
    }))
    return paged(transactions, query, (tx) => tx.txid)
  }
  if (area === 'transactions' && id) {
    if (id !== chain.transaction.txid) return notFound(`Unable to find transaction by id: ${id}`, url)
    if (!sub) return data(chain.transaction)
    if (sub === 'vouts') return paged(chain.vouts, query, (vout) => vout.id)
  }
  if (area === 'address' && id) {
    if (sub === 'balance') return data(chain.addressBalance[id] ?? '0')
    if (sub === 'tokens') return paged(chain.addressTokens[id] ?? [], query, (token) => token.id)
    if (sub === 'vaults')
      return paged(
        Object.values(chain.vaults).filter((vault) => vault.ownerAddress === id),
        query,
        (vault) => vault.vaultId,
      )
    if (sub === 'transactions' && subsub === 'unspent') return paged(chain.addressUnspent[id] ?? [], query, (item) => item.id)
    if (sub === 'transactions' && !subsub) return paged(chain.addressTransactions[id] ?? [], query, (item) => item.id)
  }
  if (area === 'tokens' && id) {
    const token = chain.tokens.find((candidate) => candidate.id === id)
    return token ? data(token) : notFound('Unable to find token', url)
  }
  if (area === 'poolpairs' && id) {
    const pool = chain.poolpairs.find((candidate) => candidate.id === id)
    return pool ? data(pool) : notFound('Unable to find poolpair', url)
  }
  if (area === 'prices' && id) return data(chain.prices[id])
  if (area === 'masternodes' && id) {
    const node = chain.masternodes[id]
    return node ? data(node) : notFound('Unable to find masternode', url)
  }
  if (area === 'governance' && id === 'proposals' && sub) {
    const proposal = chain.proposals.find((candidate) => candidate.proposalId === sub)
    return proposal ? data(proposal) : notFound(`Unable to find proposal`, url)
  }
  if (area === 'loans' && id === 'vaults' && sub) {
    const vault = chain.vaults[sub]
    return vault ? data(vault) : notFound('Unable to find vault', url)
  }
  return notFound(`Cannot GET ${new URL(url, 'http://fake').pathname}`, url)
}

function routeTestnet(path: string, query: URLSearchParams, url: string): Reply {
  const [area, id, sub] = path.split('/')
  if (path === 'stats') return data(TESTNET.stats)
  if (path === 'blocks') return paged(TESTNET.blocks, query, (block) => String(block.height))
  if (area === 'address' && id && sub === 'balance') return data(TESTNET.addressBalance[id] ?? '0')
  if (area === 'address' && id && sub === 'tokens') return paged([], query, () => '')
  return notFound(`Cannot GET ${new URL(url, 'http://fake').pathname}`, url)
}
