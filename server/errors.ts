// Every error a client may see is shaped here, once: the words (ours, never
// internals), the REST status, and whether it still has to be logged. Domain
// errors carry no HTTP codes; each transport asks this module what to send.
import type { FastifyError } from 'fastify'
import type { Logger } from 'pino'
import { KnowledgeError } from '../knowledge/index.ts'
import { ClientMessageIdConflictError, ServiceUnavailableError, TurnFailedError } from './chat-service.ts'
import { RefusedError } from './turn-limits.ts'

const TURN_FAILED_MESSAGE = 'Jelly could not answer right now because something broke on our side 🪼 Please try again in a moment.'
const REQUEST_FAILED_MESSAGE = 'Jelly could not handle this request right now, please try again'

export interface Failure {
  /** REST status; socket transports send only the message. */
  status: number
  message: string
  /** False when the failure was already logged (or is not worth a log line). */
  log: boolean
  /** A refused message: when to try again (Retry-After; `retry_after` on sockets). */
  retryAfterSeconds?: number
}

export function describeFailure(error: unknown): Failure {
  if (error instanceof RefusedError) return { status: error.status, message: error.message, log: false, retryAfterSeconds: error.retryAfterSeconds }
  if (error instanceof ServiceUnavailableError) return { status: 503, message: error.message, log: false }
  if (error instanceof TurnFailedError) return { status: 500, message: TURN_FAILED_MESSAGE, log: false }
  if (error instanceof ClientMessageIdConflictError) return { status: 409, message: error.message, log: false }
  // The knowledge base disagrees with the configured embedder: the operator can act on it.
  if (error instanceof KnowledgeError) return { status: 409, message: error.message, log: false }
  const status = (error as Partial<FastifyError>)?.statusCode
  if (status !== undefined && status >= 400 && status < 500) return { status, message: clientErrorMessage(error as FastifyError), log: false }
  return { status: status !== undefined && status >= 500 && status < 600 ? status : 500, message: REQUEST_FAILED_MESSAGE, log: true }
}

/** For a REST reply: status, `{error}` and Retry-After, logging the failure when nothing else did. */
export function restError(error: unknown, log: Pick<Logger, 'error'>): { status: number; body: { error: string }; retryAfterSeconds?: number } {
  const failure = describeFailure(error)
  if (failure.log) log.error({ err: error }, 'request failed')
  return { status: failure.status, body: { error: failure.message }, retryAfterSeconds: failure.retryAfterSeconds }
}

/** For a socket `error` event (Socket.IO, /ws): `{error, retry_after?}`, logging the failure when nothing else did. */
export function socketError(error: unknown, log: Pick<Logger, 'error'>, transport: string): { error: string; retry_after?: number } {
  const failure = describeFailure(error)
  if (failure.log) log.error({ err: error, transport }, 'turn failed')
  return failure.retryAfterSeconds === undefined ? { error: failure.message } : { error: failure.message, retry_after: failure.retryAfterSeconds }
}

/** A request body that is not JSON at all (JSON-RPC calls this a parse error). */
export function isInvalidJson(error: unknown): boolean {
  const code = (error as Partial<FastifyError> | undefined)?.code
  return code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError
}

function clientErrorMessage(error: FastifyError): string {
  if (isInvalidJson(error)) return 'body must be valid JSON'
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'body must be JSON sent with Content-Type: application/json'
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'body is too large'
  return error.message
}
