// Fetching web pages for ingestion under a policy: only allowed origins (a
// redirect elsewhere is refused), no private, loopback or link-local addresses
// unless allowed (checked on the address actually connected to, so a name that
// resolves to one is refused too), a byte cap per response and a timeout.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'

export interface FetchPolicy {
  /** Origins (scheme://host[:port]) requests and redirects may go to. */
  allowedOrigins: ReadonlySet<string>
  /** Allow private, loopback and link-local addresses (local test sites). */
  allowPrivate: boolean
  timeoutMs: number
  /** Largest response body accepted, in bytes. */
  maxBytes: number
  signal?: AbortSignal
}

const USER_AGENT = 'JellyChat-ingest/0.1 (+https://github.com/DeFiCh)'
const MAX_REDIRECTS = 5

// Addresses a public web page never has: this host, private networks, carrier
// NAT, link-local (cloud metadata), benchmarking, multicast and reserved.
const PRIVATE = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6')
}

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4')
  const family = isIP(address)
  return family === 4 ? PRIVATE.check(address, 'ipv4') : family === 6 ? PRIVATE.check(address, 'ipv6') : true
}

/** The body of a page, following allowed redirects; throws an Error with a short reason. */
export async function fetchText(url: string, policy: FetchPolicy, expectedType: RegExp): Promise<string> {
  const signals = [AbortSignal.timeout(policy.timeoutMs), ...(policy.signal ? [policy.signal] : [])]
  const signal = AbortSignal.any(signals)
  let current = new URL(url)
  for (let redirects = 0; ; redirects++) {
    checkTarget(current, policy)
    const response = await get(current, policy, signal)
    const status = response.statusCode ?? 0
    if (status >= 300 && status < 400 && response.headers.location) {
      response.destroy()
      if (redirects >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`)
      current = new URL(response.headers.location, current)
      continue
    }
    if (status < 200 || status >= 300) {
      response.destroy()
      throw new Error(`HTTP ${status} ${response.statusMessage ?? ''}`.trim())
    }
    const type = response.headers['content-type'] ?? ''
    if (type && !expectedType.test(type) && !/text\/plain/.test(type)) {
      response.destroy()
      throw new Error(`unexpected content type ${type}`)
    }
    return readBody(response, policy, signal)
  }
}

function checkTarget(url: URL, policy: FetchPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`refused ${url.protocol} URL`)
  if (!policy.allowedOrigins.has(url.origin)) throw new Error(`refused: ${url.origin} is not an allowed origin`)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) && !policy.allowPrivate && isPrivateAddress(host)) throw new Error(`refused: ${host} is a private or loopback address`)
}

function get(url: URL, policy: FetchPolicy, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { headers: { 'user-agent': USER_AGENT, accept: 'text/html,application/xml;q=0.9,*/*;q=0.5' }, signal, lookup: guardedLookup(policy) },
      resolve,
    )
    request.on('error', (error) => reject(requestError(error, signal, policy.timeoutMs)))
    request.end()
  })
}

// Resolves like the system does, but refuses a name whose addresses include a
// private one (the address connected to is the one checked).
function guardedLookup(policy: FetchPolicy) {
  return (hostname: string, options: object, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '')
      if (!policy.allowPrivate && addresses.some((entry) => isPrivateAddress(entry.address))) {
        return callback(new Error(`refused: ${hostname} resolves to a private or loopback address`), '')
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses)
      callback(null, addresses[0].address, addresses[0].family)
    })
  }
}

function readBody(response: IncomingMessage, policy: FetchPolicy, signal: AbortSignal): Promise<string> {
  const { maxBytes } = policy
  return new Promise((resolve, reject) => {
    let settled = false
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      reject(error)
      response.destroy()
    }
    if (Number(response.headers['content-length']) > maxBytes) return fail(new Error(`larger than the ${maxBytes}-byte page cap`))
    const parts: Buffer[] = []
    let bytes = 0
    response.on('data', (part: Buffer) => {
      bytes += part.length
      if (bytes > maxBytes) fail(new Error(`larger than the ${maxBytes}-byte page cap`))
      else parts.push(part)
    })
    response.on('end', () => {
      if (settled) return
      settled = true
      resolve(Buffer.concat(parts).toString('utf8'))
    })
    response.on('error', (error) => fail(requestError(error, signal, policy.timeoutMs)))
    response.on('aborted', () => fail(requestError(new Error('connection closed'), signal, policy.timeoutMs)))
  })
}

function requestError(error: Error, signal: AbortSignal, timeoutMs: number): Error {
  if (signal.aborted) {
    const reason = signal.reason as Error | undefined
    if (reason?.name === 'TimeoutError') return new Error(`request failed (no answer within ${timeoutMs / 1000} s)`)
    return reason instanceof Error ? reason : new Error('request aborted')
  }
  if (error.message.startsWith('refused')) return error
  return new Error(`request failed (${error.message})`)
}
