// The client's address, by one rule for every transport: the peer's own address
// unless TRUST_PROXY says the peer is a proxy we trust, then Fly-Client-IP (set
// by Fly's edge) or else the X-Forwarded-For hop that proxy reported.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import proxyaddr from '@fastify/proxy-addr'
import type { Config } from './config.ts'

export type ClientIp = (headers: IncomingHttpHeaders, remoteAddress: string | undefined) => string

/** TRUST_PROXY as a function of (address, hop), the form Fastify's trustProxy and proxy-addr take. */
export function compileTrust(trustProxy: Config['trustProxy']): (address: string, hop: number) => boolean {
  if (typeof trustProxy === 'boolean') return () => trustProxy
  if (typeof trustProxy === 'number') return (_address, hop) => hop < trustProxy
  return proxyaddr.compile(trustProxy)
}

export function createClientIp(trustProxy: Config['trustProxy']): ClientIp {
  const trust = compileTrust(trustProxy)
  return (headers, remoteAddress) => {
    const peer = remoteAddress ?? 'unknown'
    if (!trust(peer, 0)) return peer
    const fly = headers['fly-client-ip']
    if (typeof fly === 'string' && fly.trim()) return fly.trim()
    return proxyaddr({ headers, socket: { remoteAddress: peer }, connection: { remoteAddress: peer } } as unknown as IncomingMessage, trust)
  }
}
