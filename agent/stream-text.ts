import type { AgentEvent } from './types.ts'

/** Streams a finished answer word by word, so offline answers arrive like LLM tokens. */
export function streamText(text: string, emit: (event: AgentEvent) => void): void {
  for (const piece of text.match(/\s*\S+\s*/g) ?? []) emit({ type: 'token', token: piece })
}
