// The `error` event payload of a failed or refused turn on the socket
// transports: the words, plus the wait in seconds when the message was refused.
import { userFacingError } from './chat-service.ts'
import { RefusedError } from './turn-limits.ts'

export function errorPayload(error: unknown): { error: string; retry_after?: number } {
  if (error instanceof RefusedError) return { error: error.message, retry_after: error.retryAfterSeconds }
  return { error: userFacingError(error) }
}
