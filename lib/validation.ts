// Ajv's errors in words, shared by chat input and tool arguments so both name
// the field the same way.
import type { ErrorObject } from 'ajv'

/** Printable ASCII without spaces (ids such as UUIDs); its errors say so in words. */
export const PRINTABLE_ASCII_PATTERN = '^[!-~]+$'

/** Turns Ajv's errors into one sentence that names the field. */
export function describeValidationErrors(errors: Partial<ErrorObject>[], context: string): string {
  const error = errors[0]
  if (!error) return `${context} is invalid`
  if (error.propertyName !== undefined) return `${error.propertyName} is not allowed as a field name`
  const field = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : ''
  switch (error.keyword) {
    case 'required': {
      // Inside a list or object, named by its path ("messages.0.role is required").
      const missing = (error.params as { missingProperty: string }).missingProperty
      return `${field ? `${field}.` : ''}${missing} is required`
    }
    case 'minItems': {
      const { limit } = error.params as { limit: number }
      return `${field} must have at least ${limit} item${limit === 1 ? '' : 's'}`
    }
    case 'type': {
      // A field that may also be null is named by its other type ("application must be a string").
      const type = String((error.params as { type: string }).type)
        .split(',')
        .filter((name) => name !== 'null')
        .join(' or ')
      return field ? `${field} must be ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}` : `${context} must be a JSON ${type}`
    }
    case 'minLength':
      return `${field} must not be empty`
    case 'pattern': {
      const pattern = (error.params as { pattern: string }).pattern
      if (pattern === '\\S') return `${field} must not be empty`
      if (pattern === PRINTABLE_ASCII_PATTERN) return `${field} must be printable ASCII without spaces`
      return `${field} has an invalid format`
    }
    case 'maxLength':
      return `${field} is too long (the limit is ${(error.params as { limit: number }).limit} characters)`
    case 'minimum':
      return `${field} must be at least ${(error.params as { limit: number }).limit}`
    case 'maximum':
      return `${field} must be at most ${(error.params as { limit: number }).limit}`
    case 'enum':
      return `${field} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
    // Raised by the chat input's text check (server/message-input.ts), with its own words.
    case 'text':
      return `${field} ${error.message}`
    default:
      return `${field || context} ${error.message ?? 'is invalid'}`
  }
}
