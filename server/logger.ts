import { pino, type DestinationStream, type Logger } from 'pino'

// Defence in depth: nothing logs these on purpose, but a stray object must not leak them.
const SECRET_PATHS = ['req.headers.authorization', 'user_token', '*.user_token', 'apiKey', '*.apiKey', 'openaiApiKey', 'adminToken', 'headers.authorization']

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: SECRET_PATHS, censor: '[redacted]' } }, destination)
}
