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
    tokens += 4 + tokensOf(message.content ?? '')
    if (message.tool_calls) tokens += tokensOf(JSON.stringify(message.tool_calls))
  }
  if (request.tools?.length) tokens += tokensOf(JSON.stringify(request.tools))
  return tokens
}

// The same texts come back in every request (the tool list, the system prompt, the
// history): counted once. The benchmark's provider shares the server's two cores, so
// tokenizing ~11 KB per request again was load on the machine that only the project paid.
const counted = new Map<string, number>()
const COUNTED_MAX = 20_000

function tokensOf(text: string): number {
  let tokens = counted.get(text)
  if (tokens === undefined) {
    tokens = countTokens(text)
    if (counted.size >= COUNTED_MAX) counted.clear()
    counted.set(text, tokens)
  }
  return tokens
}
