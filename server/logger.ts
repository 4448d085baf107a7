import { pino, type DestinationStream, type Logger } from 'pino'

// Defence in depth: nothing logs these on purpose, but a stray object (a request,
// its headers or body, a config, an SDK error) must not leak them.
const SECRETS = ['user_token', 'userToken', 'token', 'apiKey', 'openaiApiKey', 'adminToken', 'OPENAI_API_KEY', 'ADMIN_TOKEN', 'authorization', 'password']
const HEADERS = ['authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'proxy-authorization']
const SECRET_PATHS = [
  ...SECRETS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
  ...HEADERS.flatMap((header) => [`req.headers["${header}"]`, `headers["${header}"]`, `*.headers["${header}"]`, `err.headers["${header}"]`]),
]

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: SECRET_PATHS, censor: '[redacted]' } }, destination)
}
