// CORS_ORIGIN, read the same way for HTTP CORS and for socket upgrades:
// `*` allows every origin, otherwise an exact, comma-separated list.
import type { IncomingMessage } from 'node:http'

export type AllowedOrigins = true | string[]

export function allowedOrigins(corsOrigin: string): AllowedOrigins {
  return corsOrigin === '*'
    ? true
    : corsOrigin
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean)
}

/**
 * Browsers always send Origin on a WebSocket handshake and on cross-site requests,
 * and CORS does not protect an upgrade, so it is checked here. Clients that are
 * not browsers (curl, wscat, server-to-server) send none and stay allowed.
 */
export function originAllowed(allowed: AllowedOrigins, request: Pick<IncomingMessage, 'headers'>): boolean {
  const origin = request.headers.origin
  return allowed === true || origin === undefined || allowed.includes(origin)
}

export const ORIGIN_REFUSED_MESSAGE = 'this Origin is not allowed; the server accepts the origins listed in CORS_ORIGIN'
