// The client's address, by one rule for every transport: the peer's own address
// unless TRUST_PROXY says the peer is a proxy we trust, then Fly-Client-IP (set
// by Fly's edge) or else the X-Forwarded-For hop that proxy reported.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import proxyaddr from '@fastify/proxy-addr'
import type { Config } from './config.ts'

export type ClientIp = (headers: IncomingHttpHeaders, remoteAddress: string | undefined) => string

export function createClientIp(trustProxy: Config['trustProxy']): ClientIp {
  if (trustProxy === false) return (_headers, remoteAddress) => remoteAddress ?? 'unknown'
  const trust =
    trustProxy === true ? () => true : typeof trustProxy === 'number' ? (_addr: string, hop: number) => hop < trustProxy : proxyaddr.compile(trustProxy)
  return (headers, remoteAddress) => {
    const peer = remoteAddress ?? 'unknown'
    if (!trust(peer, 0)) return peer
    const fly = headers['fly-client-ip']
    if (typeof fly === 'string' && fly.trim()) return fly.trim()
    return proxyaddr({ headers, socket: { remoteAddress: peer }, connection: { remoteAddress: peer } } as unknown as IncomingMessage, trust)
  }
}
