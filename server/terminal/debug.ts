// --debug: what the agent does inside a turn, as readable lines. Long texts are
// cut so a system prompt or a tool result does not bury the conversation.
import type { AgentTraceEvent } from '../../agent/types.ts'
import type { ChatEvent } from '../chat-service.ts'

const MAX_CHARS = 600

export function describeTrace(event: AgentTraceEvent): string[] {
  switch (event.type) {
    case 'llm_request':
      return [
        `LLM request to ${event.model} (${event.withTools ? 'tools offered' : 'answer without tools'}), ${event.messages.length} messages:`,
        ...event.messages.map((message) => `  ${describeMessage(message as ChatMessage)}`),
      ]
    case 'tool_call':
      return [`tool call ${event.name} ${cut(event.arguments)}`]
    case 'tool_result':
      return [`tool result ${event.name} (${event.ok ? 'ok' : 'failed'}): ${cut(event.content)}`]
    case 'offline_plan':
      if (event.tool === null) return [`offline planner: no tool (${event.why})`]
      return [`offline planner: ${event.tool} ${cut(JSON.stringify(event.args))} (${event.why})`]
  }
}

/** With --url only the wire is visible: the events as they arrive. */
export function describeWireEvent(event: ChatEvent): string {
  const { type, ...payload } = event
  return `event ${type} ${cut(JSON.stringify(payload))}`
}

interface ChatMessage {
  role: string
  content?: string | null
  tool_calls?: { function: { name: string; arguments: string } }[]
  tool_call_id?: string
}

function describeMessage(message: ChatMessage): string {
  const calls = message.tool_calls?.map((call) => `${call.function.name}(${call.function.arguments})`).join(', ')
  const text = message.content ? cut(message.content) : ''
  return `${message.role}${message.tool_call_id ? ` [${message.tool_call_id}]` : ''}: ${[text, calls && `calls ${calls}`].filter(Boolean).join(' ')}`
}

function cut(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ⏎ ')
  return flat.length <= MAX_CHARS ? flat : `${flat.slice(0, MAX_CHARS)}… (${flat.length - MAX_CHARS} more characters)`
}
