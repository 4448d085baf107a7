// The shape of an incoming chat message, as one JSON Schema shared by REST
// (Fastify validates bodies with it) and the socket transports (compiled here),
// so every transport rejects bad input with the same words.
import { Ajv } from 'ajv'
import { describeValidationErrors } from '../lib/validation.ts'

export interface UserMessage {
  user_token: string
  message: string
  application?: string
}

/**
 * Largest frame or body accepted: room for a maximal message of 4-byte
 * characters plus the envelope, and never less than 64 KB, so that an oversized
 * message reaches validation and gets a clear error instead of a dropped connection.
 */
export function maxFrameBytes(maxMessageChars: number): number {
  return Math.max(64 * 1024, maxMessageChars * 4 + 4096)
}

export function userMessageSchema(maxMessageChars: number) {
  return {
    type: 'object',
    properties: {
      user_token: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
      message: { type: 'string', minLength: 1, maxLength: maxMessageChars, pattern: '\\S' },
      application: { type: 'string', maxLength: 100 },
    },
    required: ['user_token', 'message'],
  } as const
}

// Fastify's own Ajv coerces types (5 would become "5"); chat input is checked strictly.
const strictAjv = new Ajv({ allErrors: false, coerceTypes: false })

/** For Fastify routes that take chat input: the same strict Ajv the sockets use. */
export const strictValidatorCompiler = ({ schema }: { schema: object }) => strictAjv.compile(schema)

export function createMessageValidator(maxMessageChars: number) {
  const check = strictAjv.compile<UserMessage>(userMessageSchema(maxMessageChars))
  return (input: unknown): { value: UserMessage } | { error: string } => {
    if (check(input)) return { value: input }
    return { error: describeValidationErrors(check.errors ?? [], 'body') }
  }
}
