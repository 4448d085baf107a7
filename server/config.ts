// The one place that reads process.env. Everything else receives a Config.
import proxyaddr from '@fastify/proxy-addr'
import { parseIngestArgs, type IngestJob } from '../knowledge/ingest-args.ts'
import { allowedOrigins } from './origin.ts'

export interface Config {
  port: number
  host: string
  databaseUrl: string | undefined
  /** Largest number of connections to DATABASE_URL. */
  databasePoolMax: number
  databaseConnectTimeoutMs: number
  databaseStatementTimeoutMs: number
  /** `transaction` behind Supavisor's port 6543 or PgBouncer; undefined: detected from the URL. */
  databasePooler: 'transaction' | 'direct' | undefined
  /** Server pings on /ws connections, so proxies keep them open. */
  wsPingIntervalMs: number
  /** How long a message may wait for the same user's previous turn (on another instance too). */
  turnQueueTimeoutMs: number
  dataDir: string
  openaiApiKey: string | undefined
  openaiBaseUrl: string | undefined
  llmModel: string
  /** True when an LLM provider is configured; otherwise offline mode answers. */
  llmEnabled: boolean
  embeddingModel: string
  oceanUrl: string
  oceanNetwork: 'mainnet' | 'testnet'
  oceanTimeoutMs: number
  adminToken: string | undefined
  /** ADMIN_OPEN=true: admin endpoints open to everyone (only without ADMIN_TOKEN). */
  adminOpen: boolean
  logLevel: string
  corsOrigin: string
  maxMessageChars: number
  historyWindow: number
  maxToolRounds: number
  /** Streaming answer tokens are sent to a client at most once per this many ms (0: once per event-loop turn). */
  tokenFlushMs: number
  toolTimeoutMs: number
  turnTimeoutMs: number
  shutdownGraceMs: number
  /** Longest a client may take to send a whole request (headers and body). */
  requestTimeoutMs: number
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number
  llmPrices: Record<string, { input: number; output: number }>
  /** Ingestions to run (incrementally) in the background after start, e.g. for a server that owns its embedded database. */
  ingestOnStart: IngestJob[]
  /** Bearer keys for /v1 (OpenAI-compatible API); empty: /v1 is open. */
  apiKeys: string[]
  /** Interval of keep-alive comments on server-sent event streams (SSE /user_message, /v1 streaming). */
  sseKeepAliveMs: number
  /** Serve the chat page at `/`; off for API-only deployments. */
  page: boolean
  /** Run the INGEST_ON_START jobs again this often (ms); undefined: only at start. */
  ingestEveryMs: number | undefined
  /** Messages per user token / per client IP per window; undefined: no limit. */
  rateLimitUser: RateLimit | undefined
  rateLimitIp: RateLimit | undefined
  /** HTTP requests per client IP per window on every REST route but /health and /ready. */
  rateLimitHttp: RateLimit | undefined
  /** Turns one user may have queued or running at once (0: no limit). */
  maxPendingPerUser: number
  /** Open Socket.IO and /ws connections per client IP (0: no limit). */
  maxSocketsPerIp: number
  /** New turns are refused with 503 above these (0: no limit). */
  maxTurnsInFlight: number
  maxEventLoopDelayMs: number
  /** Fastify's trustProxy: which proxies may tell the client's address (Fly-Client-IP, X-Forwarded-For). */
  trustProxy: boolean | number | string[]
}

export interface RateLimit {
  max: number
  windowMs: number
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

// USD per million tokens; override or extend with LLM_PRICES (JSON).
const DEFAULT_PRICES: Config['llmPrices'] = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o': { input: 2.5, output: 10 },
}

export function loadConfig(env: Env = process.env): Config {
  const openaiApiKey = optional(env, 'OPENAI_API_KEY')
  const openaiBaseUrl = optional(env, 'OPENAI_BASE_URL')
  if (openaiBaseUrl) url(env, 'OPENAI_BASE_URL', '')
  const llmEnabled = Boolean(openaiApiKey || openaiBaseUrl)
  if (optional(env, 'INGEST_EVERY') && optional(env, 'INGEST_EVERY') !== '0' && !optional(env, 'INGEST_ON_START')) {
    throw new ConfigError('INGEST_EVERY repeats the INGEST_ON_START jobs: set INGEST_ON_START too')
  }
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: optional(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: databaseUrl(env),
    databasePoolMax: int(env, 'DATABASE_POOL_MAX', 10, 1, 1000),
    databaseConnectTimeoutMs: int(env, 'DATABASE_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    databaseStatementTimeoutMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    databasePooler: databasePooler(env),
    dataDir: optional(env, 'DATA_DIR') ?? './data',
    openaiApiKey,
    openaiBaseUrl,
    llmModel: optional(env, 'LLM_MODEL') ?? 'gpt-4o-mini',
    llmEnabled,
    embeddingModel: optional(env, 'EMBEDDING_MODEL') ?? (openaiApiKey ? 'text-embedding-3-small' : 'local'),
    oceanUrl: url(env, 'OCEAN_URL', 'https://ocean.defichain.com'),
    oceanNetwork: oneOf(env, 'OCEAN_NETWORK', 'mainnet', ['mainnet', 'testnet'] as const),
    oceanTimeoutMs: int(env, 'OCEAN_TIMEOUT_MS', 5000, 100, 120_000),
    ...admin(env),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    corsOrigin: corsOrigin(env),
    maxMessageChars: int(env, 'MAX_MESSAGE_CHARS', 4000, 1, 1_000_000),
    historyWindow: int(env, 'HISTORY_WINDOW', 10, 0, 200),
    maxToolRounds: int(env, 'MAX_TOOL_ROUNDS', 4, 1, 20),
    tokenFlushMs: int(env, 'TOKEN_FLUSH_MS', 50, 0, 1000),
    toolTimeoutMs: int(env, 'TOOL_TIMEOUT_MS', 15_000, 100, 300_000),
    turnTimeoutMs: int(env, 'TURN_TIMEOUT_MS', 60_000, 1000, 600_000),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    wsPingIntervalMs: int(env, 'WS_PING_INTERVAL_MS', 25_000, 100, 3_600_000),
    turnQueueTimeoutMs: int(env, 'TURN_QUEUE_TIMEOUT_MS', 30_000, 100, 3_600_000),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 10_000, 1000, 600_000),
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 600_000),
    llmPrices: { ...DEFAULT_PRICES, ...prices(env) },
    ingestOnStart: ingestJobs(env),
    ingestEveryMs: duration(env, 'INGEST_EVERY', 10, 'INGEST_EVERY must be a duration like 24h, 30m or 10s (at least 10 ms), got'),
    rateLimitUser: rateLimit(env, 'RATE_LIMIT_USER', '20/1m'),
    rateLimitIp: rateLimit(env, 'RATE_LIMIT_IP', '60/1m'),
    rateLimitHttp: rateLimit(env, 'RATE_LIMIT_HTTP', '300/1m'),
    maxPendingPerUser: int(env, 'MAX_PENDING_PER_USER', 3, 0, 1_000_000),
    maxSocketsPerIp: int(env, 'MAX_SOCKETS_PER_IP', 20, 0, 1_000_000),
    maxTurnsInFlight: int(env, 'OVERLOAD_MAX_TURNS', 200, 0, 1_000_000),
    maxEventLoopDelayMs: int(env, 'OVERLOAD_MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 600_000),
    trustProxy: trustProxy(env),
    apiKeys: list(env, 'API_KEYS'),
    sseKeepAliveMs: int(env, 'SSE_KEEPALIVE_MS', 15_000, 10, 600_000),
    page: oneOf(env, 'PAGE', 'on', ['on', 'off'] as const) === 'on',
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

function parseDuration(text: string): number | undefined {
  const match = /^(\d*)(ms|s|m|h|d)$/.exec(text)
  if (!match) return undefined
  return Number(match[1] || 1) * UNIT_MS[match[2]]
}

function duration(env: Env, name: string, minMs: number, message: string): number | undefined {
  const raw = optional(env, name)
  if (raw === undefined || raw === '0') return undefined
  const ms = parseDuration(raw)
  if (ms === undefined || ms < minMs) throw new ConfigError(`${message} "${raw}"`)
  return ms
}

// "20/1m": at most 20 per minute; "0" turns the limit off.
function rateLimit(env: Env, name: string, fallback: string): RateLimit | undefined {
  const raw = optional(env, name) ?? fallback
  if (raw === '0') return undefined
  const [count, window] = raw.split('/')
  const windowMs = window === undefined ? undefined : parseDuration(window.trim())
  if (!/^\d+$/.test(count?.trim() ?? '') || Number(count) < 1 || windowMs === undefined || windowMs < 1000 || windowMs > UNIT_MS.d) {
    throw new ConfigError(`${name} must be "N/window" like 20/1m (window from 1s to 1d), or 0 for no limit, got "${raw}"`)
  }
  return { max: Number(count), windowMs }
}

// Browsers send Origin as scheme://host[:port] exactly: anything else (a trailing slash, a path) would match nothing.
function corsOrigin(env: Env): string {
  const raw = optional(env, 'CORS_ORIGIN') ?? '*'
  const origins = allowedOrigins(raw)
  const exact = (origin: string) => URL.canParse(origin) && ['http:', 'https:'].includes(new URL(origin).protocol) && new URL(origin).origin === origin
  const wrong = origins === true ? undefined : origins.find((origin) => !exact(origin))
  if (wrong !== undefined)
    throw new ConfigError(`CORS_ORIGIN must be * or origins like https://chat.example.com (scheme, host and port, comma-separated), got "${wrong}"`)
  return raw
}

// As Fastify's trustProxy: true, a number of hops, or addresses/CIDRs (loopback, 10.0.0.0/8, ...).
function trustProxy(env: Env): Config['trustProxy'] {
  const raw = optional(env, 'TRUST_PROXY')
  if (raw === undefined || raw === 'false') return false
  if (raw === 'true') return true
  if (/^\d+$/.test(raw)) return Number(raw)
  const addresses = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
  try {
    proxyaddr.compile(addresses)
  } catch {
    throw new ConfigError(`TRUST_PROXY must be true, false, a number of proxy hops, or addresses/CIDRs separated by commas, got "${raw}"`)
  }
  return addresses
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value ? value : undefined
}

function list(env: Env, name: string): string[] {
  return (optional(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
}

const MIN_ADMIN_TOKEN_CHARS = 16

// Admin endpoints are closed unless a token opens them to its holder, or ADMIN_OPEN=true to everyone.
function admin(env: Env): Pick<Config, 'adminToken' | 'adminOpen'> {
  const adminToken = optional(env, 'ADMIN_TOKEN')
  const adminOpen = bool(env, 'ADMIN_OPEN', false)
  if (adminToken !== undefined && adminToken.length < MIN_ADMIN_TOKEN_CHARS) {
    // The value is a secret: say how long it is, never what it is.
    throw new ConfigError(`ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_CHARS} characters, got ${adminToken.length} (e.g. openssl rand -hex 32)`)
  }
  if (adminToken !== undefined && adminOpen) throw new ConfigError('ADMIN_OPEN=true opens admin endpoints to everyone; unset it when ADMIN_TOKEN is set')
  return { adminToken, adminOpen }
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name} must be true or false, got "${raw}"`)
  return raw === 'true'
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`)
  }
  return Number(raw)
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`)
  }
  return raw as T
}

function url(env: Env, name: string, fallback: string): string {
  const raw = optional(env, name)
  if (raw === undefined) return fallback
  try {
    const parsed = new URL(raw)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol')
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`)
  }
  return raw.replace(/\/+$/, '')
}

// The value holds a password: errors name the variable, never echo it.
function databaseUrl(env: Env): string | undefined {
  const raw = optional(env, 'DATABASE_URL')
  if (raw === undefined) return undefined
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError('DATABASE_URL must be a URL like postgres://user:password@host:5432/postgres (value not shown: it may hold a password)')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got "${parsed.protocol}//"`)
  }
  return raw
}

function databasePooler(env: Env): Config['databasePooler'] {
  const raw = optional(env, 'DATABASE_POOLER')
  if (raw === undefined) return undefined
  return oneOf(env, 'DATABASE_POOLER', 'direct', ['transaction', 'session', 'direct'] as const) === 'transaction' ? 'transaction' : 'direct'
}

// "docs/en --base-url https://x/docs; https://x/sitemap.xml": `npm run ingest` arguments, `;` between ingestions.
function ingestJobs(env: Env): IngestJob[] {
  const raw = optional(env, 'INGEST_ON_START')
  if (raw === undefined) return []
  return raw
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const parsed = parseIngestArgs(part.split(/\s+/))
      if ('job' in parsed) return parsed.job
      throw new ConfigError(`INGEST_ON_START: "${part}": ${'error' in parsed ? parsed.error : 'takes npm run ingest arguments'}`)
    })
}

function prices(env: Env): Config['llmPrices'] {
  const raw = optional(env, 'LLM_PRICES')
  if (raw === undefined) return {}
  try {
    const parsed = JSON.parse(raw) as Config['llmPrices']
    for (const price of Object.values(parsed)) {
      if (typeof price.input !== 'number' || typeof price.output !== 'number') throw new Error('shape')
    }
    return parsed
  } catch {
    throw new ConfigError('LLM_PRICES must be JSON like {"model":{"input":0.15,"output":0.6}} (USD per million tokens)')
  }
}
