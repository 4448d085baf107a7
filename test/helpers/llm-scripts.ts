// A script for the fake OpenAI server (test/fakes/openai.ts) that behaves like
// a model using the calculator: first a tool call, then an answer repeating the
// tool's result. It can be slowed down, and it measures how many requests
// overlap in time, which shows whether turns ran one after the other.
import type { ChatRequest, FakeReply, Script } from '../fakes/openai.ts'
import { expressionFromWords } from '../../tools/math.ts'

export interface CalculatorModel {
  script: Script
  /** Wait this long before answering each request (ms); may be changed between tests. */
  delayMs: number
  /** Called as each request arrives, before the delay. */
  onRequest?: (request: ChatRequest) => void
  /** The largest number of requests the fake was answering at the same moment since reset(). */
  readonly maxConcurrent: number
  reset(): void
}

/** What the fake model answers once the calculator returned `formatted`. */
export const calculatorAnswer = (formatted: string) => `The answer is ${formatted} 🧮🌊`

export function calculatorModel(delayMs = 0): CalculatorModel {
  let active = 0
  let maxConcurrent = 0
  const model: CalculatorModel = {
    delayMs,
    async script(request) {
      model.onRequest?.(request)
      active++
      maxConcurrent = Math.max(maxConcurrent, active)
      try {
        // Unref'd: a test that ends before a long delay (a shutdown cutting a slow turn) need not wait it out.
        if (model.delayMs) await new Promise((resolve) => setTimeout(resolve, model.delayMs).unref())
        return reply(request)
      } finally {
        active--
      }
    },
    get maxConcurrent() {
      return maxConcurrent
    },
    reset() {
      maxConcurrent = 0
      model.onRequest = undefined
    },
  }
  return model
}

function reply(request: ChatRequest): FakeReply {
  const last = request.messages.at(-1)
  if (last?.role === 'tool') {
    const content = String(last.content ?? '')
    // The tool result is JSON of tools/math.ts's MathResult; fall back to the raw text.
    const formatted = /"formatted"\s*:\s*"([^"]+)"/.exec(content)?.[1] ?? content
    // Spaced out like a real model's stream, so the server cannot merge the pieces into one token.
    return { content: calculatorAnswer(formatted), chunkDelayMs: 10 }
  }
  const question = [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? ''
  const expression = expressionFromWords(question)
  if (!expression) return { content: 'I can only do math in this test 🪼' }
  return { toolCalls: [{ name: 'calculator', arguments: JSON.stringify({ expression }) }] }
}
