// The one place that reads process.env. Everything else receives a Config.
import { parseIngestArgs, type IngestJob } from '../knowledge/ingest-args.ts'

export interface Config {
  port: number
  host: string
  databaseUrl: string | undefined
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
  logLevel: string
  corsOrigin: string
  maxMessageChars: number
  historyWindow: number
  maxToolRounds: number
  toolTimeoutMs: number
  turnTimeoutMs: number
  shutdownGraceMs: number
  llmPrices: Record<string, { input: number; output: number }>
  /** Ingestions to run (incrementally) in the background after start, e.g. for a server that owns its embedded database. */
  ingestOnStart: IngestJob[]
  /** Serve the chat page at `/`; off for API-only deployments. */
  page: boolean
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
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: optional(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: optional(env, 'DATABASE_URL'),
    dataDir: optional(env, 'DATA_DIR') ?? './data',
    openaiApiKey,
    openaiBaseUrl,
    llmModel: optional(env, 'LLM_MODEL') ?? 'gpt-4o-mini',
    llmEnabled,
    embeddingModel: optional(env, 'EMBEDDING_MODEL') ?? (openaiApiKey ? 'text-embedding-3-small' : 'local'),
    oceanUrl: url(env, 'OCEAN_URL', 'https://ocean.defichain.com'),
    oceanNetwork: oneOf(env, 'OCEAN_NETWORK', 'mainnet', ['mainnet', 'testnet'] as const),
    oceanTimeoutMs: int(env, 'OCEAN_TIMEOUT_MS', 5000, 100, 120_000),
    adminToken: optional(env, 'ADMIN_TOKEN'),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    corsOrigin: optional(env, 'CORS_ORIGIN') ?? '*',
    maxMessageChars: int(env, 'MAX_MESSAGE_CHARS', 4000, 1, 1_000_000),
    historyWindow: int(env, 'HISTORY_WINDOW', 10, 0, 200),
    maxToolRounds: int(env, 'MAX_TOOL_ROUNDS', 4, 1, 20),
    toolTimeoutMs: int(env, 'TOOL_TIMEOUT_MS', 15_000, 100, 300_000),
    turnTimeoutMs: int(env, 'TURN_TIMEOUT_MS', 60_000, 1000, 600_000),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    llmPrices: { ...DEFAULT_PRICES, ...prices(env) },
    ingestOnStart: ingestJobs(env),
    page: oneOf(env, 'PAGE', 'on', ['on', 'off'] as const) === 'on',
  }
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value ? value : undefined
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
