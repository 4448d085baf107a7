// Scripts for the fake OpenAI server (test/fakes/openai.ts) that behave like a
// model using the calculator: first a tool call, then an answer that repeats
// the tool's result. They also measure how many requests overlap in time.
import type { ChatRequest, FakeReply, Script } from '../fakes/openai.ts'
import { expressionFromWords } from '../../tools/math.ts'

export interface CalculatorScript {
  script: Script
  /** The largest number of requests the fake was answering at the same moment. */
  readonly maxConcurrent: number
}

export function calculatorScript(options: { delayMs?: number; onRequest?: (request: ChatRequest) => void } = {}): CalculatorScript {
  let active = 0
  let maxConcurrent = 0
  const script: Script = async (request) => {
    options.onRequest?.(request)
    active++
    maxConcurrent = Math.max(maxConcurrent, active)
    try {
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
      return reply(request)
    } finally {
      active--
    }
  }
  return {
    script,
    get maxConcurrent() {
      return maxConcurrent
    },
  }
}

function reply(request: ChatRequest): FakeReply {
  const last = request.messages.at(-1)
  if (last?.role === 'tool') {
    const content = String(last.content ?? '')
    // The tool result is JSON of tools/math.ts's MathResult; fall back to the raw text.
    const formatted = /"formatted"\s*:\s*"([^"]+)"/.exec(content)?.[1] ?? content
    return { content: `The answer is ${formatted} 🧮🌊` }
  }
  const question = [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? ''
  const expression = expressionFromWords(question)
  if (!expression) return { content: 'I can only do math in this test 🪼' }
  return { toolCalls: [{ name: 'calculator', arguments: JSON.stringify({ expression }) }] }
}
