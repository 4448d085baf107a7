// What a provider bills for a request, estimated the same way by the fake
// provider of the benchmark and by the prompt-budget test: o200k tokens of each
// message's text plus a few of framing, its tool calls and the tool list as sent.
import { countTokens } from 'gpt-tokenizer'

export interface PromptRequest {
  messages: { content?: string | null; tool_calls?: unknown[] }[]
  tools?: unknown[]
}

export function estimatePromptTokens(request: PromptRequest): number {
  let tokens = 3
  for (const message of request.messages) {
    tokens += 4 + countTokens(message.content ?? '')
    if (message.tool_calls) tokens += countTokens(JSON.stringify(message.tool_calls))
  }
  if (request.tools?.length) tokens += countTokens(JSON.stringify(request.tools))
  return tokens
}
