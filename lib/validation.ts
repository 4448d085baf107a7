// Ajv's errors in words, shared by chat input and tool arguments so both name
// the field the same way.
import type { ErrorObject } from 'ajv'

/** Turns Ajv's errors into one sentence that names the field. */
export function describeValidationErrors(errors: Partial<ErrorObject>[], context: string): string {
  const error = errors[0]
  if (!error) return `${context} is invalid`
  const field = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : ''
  switch (error.keyword) {
    case 'required':
      return `${(error.params as { missingProperty: string }).missingProperty} is required`
    case 'type':
      return field ? `${field} must be a ${(error.params as { type: string }).type}` : `${context} must be a JSON ${(error.params as { type: string }).type}`
    case 'minLength':
      return `${field} must not be empty`
    case 'pattern':
      return (error.params as { pattern: string }).pattern === '\\S' ? `${field} must not be empty` : `${field} has an invalid format`
    case 'maxLength':
      return `${field} is too long (the limit is ${(error.params as { limit: number }).limit} characters)`
    default:
      return `${field || context} ${error.message ?? 'is invalid'}`
  }
}
