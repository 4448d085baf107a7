// One model-facing tool over several reads of a subject, picked by an enum
// argument. The model then reads one compact schema instead of one per read;
// each read stays its own tool module (which offline mode and the tests name)
// and does its own argument checks when the group hands the call on.
import type { JsonSchema, Tool } from './types.ts'

export interface ToolGroup {
  name: string
  description: string
  startLine: string
  /** The enum argument that picks the read, e.g. "what". */
  selector: string
  /** Picked when the selector is omitted; without it the selector is required. */
  defaultMember?: string
  /** Selector value → the read it runs. */
  members: Record<string, Tool>
  /** The other arguments, shared by the members. */
  properties: Record<string, object>
  required?: readonly string[]
  /** Renames an argument for a member, e.g. { transaction: { id: 'txid' } }. */
  rename?: Record<string, Record<string, string>>
}

type Args = Record<string, unknown>

export function groupTools(group: ToolGroup): Tool<Args> {
  const choices = Object.keys(group.members)
  const parameters: JsonSchema = {
    type: 'object',
    properties: { [group.selector]: { type: 'string', enum: choices }, ...group.properties },
    required: [...(group.defaultMember ? [] : [group.selector]), ...(group.required ?? [])],
    additionalProperties: false,
  }
  return {
    name: group.name,
    description: group.description,
    parameters,
    startLine: group.startLine,
    run(args, context) {
      const choice = String(args[group.selector] ?? group.defaultMember)
      const { [group.selector]: _picked, ...rest } = args
      const renames = group.rename?.[choice] ?? {}
      const memberArgs = Object.fromEntries(Object.entries(rest).map(([key, value]) => [renames[key] ?? key, value]))
      return group.members[choice].run(memberArgs, context)
    },
  }
}
