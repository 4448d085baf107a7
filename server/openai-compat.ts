// The OpenAI chat-completions dialect, as plain functions: which turn a request
// asks for, the response and chunk objects, and OpenAI's error shape. Jelly
// keeps the conversation itself, so only the last user message becomes a turn.
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import { describeFailure } from './errors.ts'

export const MODEL_ID = 'jelly'

export interface ChatCompletionRequest {
  model: string
  messages: { role: string; content?: string | { type: string; text?: string }[] | null }[]
  stream?: boolean | null
  stream_options?: { include_usage?: boolean } | null
  user?: string
}

export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null }
}

export class OpenAiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message)
  }
}

/** The text of the last message, which must be the user's: the turn Jelly answers. */
export function lastUserMessage(request: ChatCompletionRequest): string {
  const last = request.messages.at(-1)
  if (last?.role !== 'user') throw new OpenAiError(400, 'The last message must have role "user": Jelly answers it and keeps the conversation itself.', 'messages')
  const content = last.content
  // Content parts: only text is understood; images and audio are not.
  return typeof content === 'string' ? content : (content ?? []).map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('')
}

/**
 * Whose conversation this is: the request's `user`, else the X-Jelly-User header,
 * else one derived from the API key (a hash, so the key itself is never stored).
 */
export function conversationToken(user: string | undefined, header: string | undefined, apiKey: string | undefined): string {
  const named = user?.trim() || header?.trim()
  if (named) return named
  if (apiKey) return tokenFromApiKey(apiKey)
  throw new OpenAiError(400, 'Say whose conversation this is: set the request\'s "user" field, the X-Jelly-User header, or send an API key.', 'user')
}

/** A user token for whoever holds this API key: a hash, so the key is never stored or shown. */
export function tokenFromApiKey(apiKey: string): string {
  return `key-${createHash('sha256').update(apiKey).digest('hex').slice(0, 32)}`
}

export function bearerToken(header: string | undefined): string | undefined {
  return header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1]
}

/** Jelly counts no model tokens of its own for a client; usage is estimated at 4 characters per token. */
export function estimateUsage(prompt: string, completion: string) {
  const prompt_tokens = Math.ceil(prompt.length / 4)
  const completion_tokens = Math.ceil(completion.length / 4)
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens }
}

export function completionId(): string {
  return `chatcmpl-${crypto.randomUUID().replace(/-/g, '')}`
}

const TYPES: Record<number, string> = { 401: 'invalid_request_error', 429: 'requests', 500: 'server_error', 503: 'server_error' }
const CODES: Record<number, string> = { 401: 'invalid_api_key', 404: 'not_found', 429: 'rate_limit_exceeded', 503: 'service_unavailable' }

/** The HTTP status an error asks for: Fastify's `statusCode`, or `status` (as refusals of the message path carry it). */
export function errorStatus(error: unknown): number | undefined {
  const e = error as { statusCode?: unknown; status?: unknown } | null
  const status = typeof e?.statusCode === 'number' ? e.statusCode : e?.status
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : undefined
}

/** Seconds to wait before retrying, when the error says (`retryAfterSeconds`, or a Retry-After in `headers`). */
function retryAfterOf(error: unknown): number | undefined {
  const e = error as { retryAfterSeconds?: unknown; headers?: Record<string, unknown> } | null
  const seconds = typeof e?.retryAfterSeconds === 'number' ? e.retryAfterSeconds : Number(e?.headers?.['retry-after'] ?? NaN)
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined
}

/**
 * Any error of the message path or of Fastify as OpenAI's status and body: the
 * status and words server/errors.ts gives it (validation 400, shutdown 503,
 * 500 without internals), or the status a refusal asks for (a rate limit's 429,
 * an overload's 503). Logs what nothing else logged.
 */
export function toOpenAiError(error: unknown, log: Pick<Logger, 'error'>): { status: number; body: OpenAiErrorBody; retryAfter?: number } {
  const e = error as { message?: string; validation?: { instancePath?: string; params?: { missingProperty?: string } }[] }
  const failure = error instanceof OpenAiError ? { status: error.statusCode, message: error.message, log: false } : describeFailure(error)
  const asked = errorStatus(error)
  const refused = failure.status === 500 && asked !== undefined && asked !== 500
  const status = refused ? asked : failure.status
  const message = refused ? (e?.message ?? 'request refused') : failure.message
  if (failure.log && !refused) log.error({ err: error }, 'request failed')
  let param: string | null = null
  let code: string | null = CODES[status] ?? null
  if (error instanceof OpenAiError) {
    param = error.param
    code = error.code ?? (status === 400 ? null : code)
  } else if (e?.validation?.[0]) {
    const first = e.validation[0]
    const at = first.instancePath ? jsonPointerToParam(first.instancePath) : ''
    const missing = first.params?.missingProperty
    param = (missing ? (at ? `${at}.${missing}` : missing) : at) || null
  }
  const type = TYPES[status] ?? (status < 500 ? 'invalid_request_error' : 'server_error')
  const retryAfter = retryAfterOf(error)
  return { status, body: { error: { message, type, code, param } }, ...(retryAfter === undefined ? {} : { retryAfter }) }
}

// "/messages/0/role" → "messages[0].role", as OpenAI names a parameter.
function jsonPointerToParam(pointer: string): string {
  return pointer
    .slice(1)
    .split('/')
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index ? `.${part}` : part))
    .join('')
}
