// Errors that mean the database is away or overloaded (not a bug in a
// statement): the client should try again, and the pool reconnects by itself.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, query_canceled (statement timeout)
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '57014',
])

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  // Class 08: connection exceptions.
  return typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))
}
