// The shape of an incoming chat message, as one JSON Schema shared by REST
// (Fastify validates bodies with it) and the socket transports (compiled here),
// so every transport rejects bad input with the same words. Every validator made
// here also refuses text Postgres cannot store faithfully: NUL characters and
// lone surrogates (which would be stored as U+FFFD, so `victim-\ud800` would read
// `victim-\ufffd`'s history).
import { isUtf8 } from 'node:buffer'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { describeValidationErrors, PRINTABLE_ASCII_PATTERN } from '../lib/validation.ts'

export interface UserMessage {
  user_token: string
  message: string
  application?: string | null
  client_message_id?: string | null
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
      // An optional field may be null, as /history and replies write it: the same as leaving it out.
      application: { type: ['string', 'null'], maxLength: 100 },
      client_message_id: {
        type: ['string', 'null'],
        minLength: 1,
        maxLength: 100,
        // Printable ASCII without spaces: UUIDs, ULIDs, counters.
        pattern: PRINTABLE_ASCII_PATTERN,
        description: "The client's own id for this message: a retry with the same id returns the stored answer instead of running again",
      },
    },
    required: ['user_token', 'message'],
    // Other fields are ignored, but not these: JSON.parse makes "__proto__" an own
    // key, and code that copies it would change an object's prototype.
    propertyNames: { not: { enum: ['__proto__', 'constructor', 'prototype'] } },
  } as const
}

// Fastify's own Ajv coerces types (5 would become "5"); chat input is checked strictly.
const strictAjv = new Ajv({ allErrors: false, coerceTypes: false })
// Query strings are text: numbers are coerced, defaults filled in, as Fastify's own Ajv does.
const queryAjv = new Ajv({ allErrors: false, coerceTypes: 'array', useDefaults: true, removeAdditional: true })

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null }

/**
 * Ajv's check, then the text check over every string in the value. Compiled on
 * first use: compiling every route's schemas took a tenth of a second of each start.
 */
function withTextCheck(compile: () => ValidateFunction): Validator {
  let check: ValidateFunction | undefined
  const validate: Validator = (data) => {
    check ??= compile()
    if (!check(data)) {
      validate.errors = check.errors
      return false
    }
    const problem = findTextProblem(data)
    validate.errors = problem ? [problem] : null
    return !problem
  }
  return validate
}

/** For Fastify routes that take chat input: the same strict Ajv the sockets use. */
export const strictValidatorCompiler = ({ schema }: { schema: object }) => withTextCheck(() => strictAjv.compile(schema))

/** For query strings: coercing like Fastify's default, with the same text check. */
export const queryValidatorCompiler = ({ schema }: { schema: object }) => withTextCheck(() => queryAjv.compile(schema))

export function createMessageValidator(maxMessageChars: number) {
  const check = strictValidatorCompiler({ schema: userMessageSchema(maxMessageChars) })
  return (input: unknown): { value: UserMessage } | { error: string } => {
    if (check(input)) return { value: input as UserMessage }
    return { error: describeValidationErrors(check.errors ?? [], 'body') }
  }
}

// NUL, or a UTF-16 surrogate that is not half of a pair (with the u flag a pair is one code point).
const UNSTORABLE = /[\0\p{Cs}]/u

/**
 * The first string in `value` (depth first) that `matches`, with its path.
 * Iterative: a body may nest deeper than the call stack goes.
 */
function findString(value: unknown, matches: (text: string) => boolean): { text: string; path: string[] } | undefined {
  // Each entry links to its parent, so a path is only built for the string found.
  type Entry = { value: unknown; key?: string; parent?: Entry }
  const stack: Entry[] = [{ value }]
  while (stack.length) {
    const entry = stack.pop()!
    if (typeof entry.value === 'string') {
      if (!matches(entry.value)) continue
      const path: string[] = []
      for (let at: Entry | undefined = entry; at?.key !== undefined; at = at.parent) path.unshift(at.key)
      return { text: entry.value, path }
    }
    if (typeof entry.value !== 'object' || entry.value === null) continue
    const entries = Object.entries(entry.value)
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1], key: entries[i][0], parent: entry })
  }
  return undefined
}

/** The first string Postgres could not store as sent, as an Ajv-style error. */
function findTextProblem(value: unknown): ErrorObject | undefined {
  const found = findString(value, (text) => UNSTORABLE.test(text))
  if (!found) return undefined
  const message = found.text.includes('\0') ? 'must not contain NUL characters (\\u0000)' : 'must be well-formed Unicode text (it contains a lone surrogate)'
  const shown = found.path.length > 4 ? [...found.path.slice(0, 4), '…'] : found.path
  return { instancePath: shown.map((key) => `/${key}`).join(''), schemaPath: '', keyword: 'text', params: {}, message }
}

/**
 * Bytes that are not UTF-8 decode to U+FFFD, indistinguishable from a U+FFFD
 * that was sent. This names the first string that holds U+FFFD once decoded
 * (the best guess at the field the bad bytes were in), or `context` itself.
 */
export function invalidUtf8Error(bytes: Buffer, context: string): string | undefined {
  if (isUtf8(bytes)) return undefined
  let field = context
  try {
    const path = findString(JSON.parse(bytes.toString('utf8')), (text) => text.includes('\ufffd'))?.path ?? []
    field = (path.length > 4 ? [...path.slice(0, 4), '…'] : path).join('.') || context
  } catch {
    // Not JSON either: the body or frame as a whole is named.
  }
  return `${field} is not valid UTF-8`
}
