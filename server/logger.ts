import { pino, type DestinationStream, type Logger } from 'pino'

// Defence in depth: nothing logs these on purpose, but a stray object (a request,
// its headers or body, a config, an SDK error) must not leak them.
const SECRETS = ['user_token', 'userToken', 'token', 'apiKey', 'openaiApiKey', 'adminToken', 'OPENAI_API_KEY', 'ADMIN_TOKEN', 'authorization', 'password']
const HEADERS = ['authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'proxy-authorization']
const CENSOR = '[redacted]'
const SECRET_KEYS = new Set([...SECRETS, ...HEADERS, 'Authorization'])
// For what the walk below does not see: a child logger's bindings, and what serializers make of
// the objects it does not enter (a request, a response). Exact paths, so still cheap.
const PINO_PATHS = [...[...SECRET_KEYS].map((key) => `["${key}"]`), ...HEADERS.flatMap((header) => [`req.headers["${header}"]`, `res.headers["${header}"]`])]
// Deep enough for a request body inside an error's details; the walk stops there.
const MAX_DEPTH = 6

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      // pino's wildcard paths (`*.*.token`) cost ~55 µs per turn line; this walk costs ~3 and reaches any depth.
      formatters: { log: (object) => redactSecrets(object, 0) as Record<string, unknown> },
      redact: { paths: PINO_PATHS, censor: CENSOR },
    },
    destination,
  )
}

/** `value` itself when it holds no secret (the usual case, so nothing is copied), else a copy with each one censored. */
function redactSecrets(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    value.forEach((item, index) => {
      const redacted = redactSecrets(item, depth + 1)
      if (redacted !== item) (copy ??= [...value])[index] = redacted
    })
    return copy ?? value
  }
  const prototype = Object.getPrototypeOf(value)
  const error = value instanceof Error
  // Plain data and errors; other class instances (requests, sockets) are left to their serializers.
  if (!error && prototype !== Object.prototype && prototype !== null) return value
  let copy: Record<string, unknown> | undefined
  for (const [key, item] of Object.entries(value)) {
    const redacted = SECRET_KEYS.has(key) ? CENSOR : redactSecrets(item, depth + 1)
    if (redacted === item) continue
    copy ??= error ? Object.assign(Object.create(prototype), value, { message: (value as Error).message, stack: (value as Error).stack }) : { ...value }
    copy![key] = redacted
  }
  return copy ?? value
}
