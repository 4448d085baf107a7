// The function-calling loop, by hand with the openai SDK: stream a response,
// assemble tool-call deltas, run the tools, repeat up to maxToolRounds, then ask
// once more without tools. Content deltas stream to the user as they arrive, so
// final_message is exactly the concatenation of the tokens sent. When the
// provider keeps failing, the offline agent answers the turn instead.
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai'
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions'
import type { Tool } from '../tools/types.ts'
import type { Agent, AgentInput, AgentResult, AgentTrace, Usage } from './types.ts'
import { buildMessages } from './prompt.ts'
import { createToolRunner, type ToolCall, type ToolRunner } from './run-tool-calls.ts'
import { createTokenBuffer } from './token-buffer.ts'
import { readCompletionStream } from './completion-stream.ts'
import { createProviderHttp } from './provider-http.ts'
import { deadline } from '../lib/deadline.ts'

export interface LlmAgentOptions {
  tools: Tool[]
  fallback: Agent
  model: string
  apiKey?: string
  baseUrl?: string
  maxToolRounds: number
  toolTimeoutMs: number
  /** The runner shared with the offline agent; built from `tools` and `toolTimeoutMs` when omitted. */
  runner?: ToolRunner
  /** USD per million tokens, by model name. */
  prices: Record<string, { input: number; output: number }>
  /** Longest wait for one provider response before it counts as a timeout. */
  requestTimeoutMs?: number
  maxAttempts?: number
  /** Answer tokens streaming without a pause are sent at most once per this many ms (0: once per event-loop turn). */
  tokenFlushMs?: number
  trace?: AgentTrace
}

interface StepResult {
  content: string
  toolCalls: ToolCall[]
  usage: Usage
}

class ProviderFailure extends Error {}

const JSON_BODY = { 'content-type': 'application/json' }

export function createLlmAgent(options: LlmAgentOptions): Agent {
  const http = createProviderHttp()
  const client = new OpenAI({ apiKey: options.apiKey ?? 'not-needed', baseURL: options.baseUrl, maxRetries: 0, fetch: http.fetch })
  const toolSpecs: ChatCompletionTool[] = options.tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters as unknown as Record<string, unknown> },
  }))
  const runner = options.runner ?? createToolRunner(options.tools, options.toolTimeoutMs)
  // Every request's body but its messages, serialised once: the tool list is most of its bytes.
  const bodyStart = { withTools: requestBodyStart(true), withoutTools: requestBodyStart(false) }
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000
  const maxAttempts = options.maxAttempts ?? 4

  return {
    async run(input: AgentInput): Promise<AgentResult> {
      const messages = buildMessages(input.history, input.message)
      const usage: Usage = { promptTokens: 0, completionTokens: 0 }
      const toolsRun: string[] = []
      let answer = ''
      const tokens = createTokenBuffer((token) => input.emit({ type: 'token', token }), options.tokenFlushMs)
      const emitToken = (token: string) => {
        answer += token
        tokens.push(token)
      }
      const emit: AgentInput['emit'] = (event) => {
        tokens.flush()
        if (event.type === 'tool_start') toolsRun.push(event.tool)
        input.emit(event)
      }
      const finish = (rounds: number): AgentResult => {
        tokens.flush()
        return { answer, tools: toolsRun, mode: 'llm', toolRounds: rounds, model: options.model, usage, costUsd: cost(options.prices, options.model, usage) }
      }

      // Logged as a fallback, not shown as an apology: the user just gets an answer.
      // It gets its own deadline, since the turn's may be what ran out, and ends
      // at the turn's last moment (a server that stops) whatever it has.
      const fallback = async (rounds: number): Promise<AgentResult> => {
        // The offline answer's tokens go out directly: whatever is pending goes first.
        tokens.flush()
        input.log.warn({ model: options.model }, 'answering offline (fallback)')
        const fallbackDeadline = deadline(options.toolTimeoutMs, input.lastMoment)
        const offline = await options.fallback.run({ ...input, signal: fallbackDeadline.signal }).finally(fallbackDeadline.release)
        return { ...offline, tools: [...toolsRun, ...offline.tools], mode: 'fallback', toolRounds: rounds, model: options.model, usage }
      }

      let rounds = 0
      try {
        for (;;) {
          const withTools = rounds < options.maxToolRounds
          const step = await callWithRetries(messages, withTools, input, emitToken)
          usage.promptTokens += step.usage.promptTokens
          usage.completionTokens += step.usage.completionTokens
          if (!withTools || step.toolCalls.length === 0) break
          // Text the model said before calling tools was already streamed; later text continues it.
          if (step.content) emitToken('\n\n')
          rounds++
          messages.push({
            role: 'assistant',
            content: step.content || null,
            tool_calls: step.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
          })
          for (const call of step.toolCalls) options.trace?.({ type: 'tool_call', name: call.name, arguments: call.arguments })
          const results = await runner.run(step.toolCalls, { signal: input.signal, log: input.log, emit })
          for (const result of results) options.trace?.({ type: 'tool_result', name: result.name, ok: result.ok, content: result.content })
          for (const result of results) messages.push({ role: 'tool', tool_call_id: result.id, content: result.content })
        }
      } catch (error) {
        if (!(error instanceof ProviderFailure)) {
          tokens.flush()
          throw error
        }
        input.log.warn({ err: error.cause, model: options.model, toolRounds: rounds }, 'LLM provider failed')
        if (answer.trim()) return finish(rounds)
        return fallback(rounds)
      }
      if (!answer.trim()) {
        input.log.warn({ model: options.model, toolRounds: rounds }, 'LLM gave an empty answer')
        return fallback(rounds)
      }
      return finish(rounds)
    },
  }

  // Retries 429, 5xx, connection errors and timeouts with backoff, within the turn's
  // deadline; a retry never repeats tokens, because a step that streamed text is not retried.
  async function callWithRetries(messages: ChatCompletionMessageParam[], withTools: boolean, input: AgentInput, emitToken: (token: string) => void): Promise<StepResult> {
    let streamed = false
    const onToken = (token: string) => {
      streamed = true
      emitToken(token)
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const step = await streamStep(messages, withTools, input.signal, onToken)
        input.emit({ type: 'llm_call', ok: true, retry: attempt > 1 })
        return step
      } catch (error) {
        input.emit({ type: 'llm_call', ok: false, retry: attempt > 1 })
        if (input.signal.aborted) throw new ProviderFailure('turn deadline reached', { cause: error })
        if (streamed) {
          input.log.warn({ err: error }, 'LLM stream broke after text was sent; keeping the partial answer')
          return { content: '', toolCalls: [], usage: { promptTokens: 0, completionTokens: 0 } }
        }
        if (!isRetryable(error) || attempt >= maxAttempts) throw new ProviderFailure('LLM provider failed', { cause: error })
        const delay = backoff(attempt, error)
        input.log.warn({ attempt, delayMs: delay, status: error instanceof APIError ? error.status : undefined }, 'LLM call failed; retrying')
        await sleep(delay, input.signal).catch(() => {
          throw new ProviderFailure('turn deadline reached', { cause: error })
        })
      }
    }
  }

  async function streamStep(messages: ChatCompletionMessageParam[], withTools: boolean, turnSignal: AbortSignal, onToken: (token: string) => void): Promise<StepResult> {
    const request = deadline(requestTimeoutMs, turnSignal)
    try {
      return await readStream(messages, withTools, request.signal, onToken)
    } finally {
      request.release()
    }
  }

  function requestParams(withTools: boolean) {
    return {
      model: options.model,
      stream: true as const,
      stream_options: { include_usage: true },
      ...(toolSpecs.length ? { tools: toolSpecs, tool_choice: withTools ? ('auto' as const) : ('none' as const) } : {}),
    }
  }

  // `{"model":…,"tools":[…],"messages":` — the caller appends the messages and the closing brace.
  function requestBodyStart(withTools: boolean): string {
    return `${JSON.stringify(requestParams(withTools)).slice(0, -1)},"messages":`
  }

  async function readStream(messages: ChatCompletionMessageParam[], withTools: boolean, signal: AbortSignal, onToken: (token: string) => void): Promise<StepResult> {
    options.trace?.({ type: 'llm_request', model: options.model, withTools, messages })
    // The SDK sends a string body as it is; the parameters still tell it to read a stream.
    const requestBody = `${withTools ? bodyStart.withTools : bodyStart.withoutTools}${JSON.stringify(messages)}}`
    const response = await client.chat.completions.create({ ...requestParams(withTools), messages }, { signal, body: requestBody, headers: JSON_BODY }).asResponse()
    let content = ''
    const calls: ToolCall[] = []
    const usage: Usage = { promptTokens: 0, completionTokens: 0 }
    await readCompletionStream(http.bodyOf(response), response.headers, signal, (chunk) => {
      if (chunk.usage) {
        usage.promptTokens = chunk.usage.prompt_tokens
        usage.completionTokens = chunk.usage.completion_tokens
      }
      const delta = chunk.choices[0]?.delta
      if (!delta) return
      if (delta.content) {
        content += delta.content
        onToken(delta.content)
      }
      for (const part of delta.tool_calls ?? []) {
        const call = (calls[part.index] ??= { id: '', name: '', arguments: '' })
        if (part.id) call.id = part.id
        if (part.function?.name) call.name += part.function.name
        if (part.function?.arguments) call.arguments += part.function.arguments
      }
    })
    // Some servers omit ids; the model still needs one to pair results with calls.
    const toolCalls = calls.filter(Boolean).map((call, index) => ({ ...call, id: call.id || `call_${index}` }))
    return { content, toolCalls: withTools ? toolCalls : [], usage }
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof APIUserAbortError) return true // our per-request timeout fired
  if (error instanceof APIConnectionError) return true
  if (error instanceof APIError) return error.status === undefined || error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500
  return error instanceof Error && error.name === 'TimeoutError'
}

function backoff(attempt: number, error: unknown): number {
  const hinted = error instanceof APIError ? Number(error.headers?.get('retry-after-ms') ?? Number(error.headers?.get('retry-after') ?? NaN) * 1000) : NaN
  const exponential = 250 * 2 ** (attempt - 1) * (0.75 + Math.random() / 2)
  return Math.min(Number.isFinite(hinted) && hinted >= 0 ? hinted : exponential, 5000)
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function cost(prices: LlmAgentOptions['prices'], model: string, usage: Usage): number | undefined {
  // Dated model names ("gpt-4o-mini-2024-07-18") use their family's price.
  const key = Object.keys(prices)
    .filter((name) => model === name || model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0]
  if (!key) return undefined
  const price = prices[key]
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000
}
