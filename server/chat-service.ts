// The one message path. Transports validate input and translate ChatEvents to
// their wire format; everything else (storage order, per-user ordering, the
// agent, the turn log) happens here.
import { setMaxListeners } from 'node:events'
import type { Logger } from 'pino'
import type { Agent, AgentEvent, AgentResult } from '../agent/types.ts'
import type { ChatRepository, StoredMessage } from '../db/chat-repository.ts'
import { deadline } from '../lib/deadline.ts'
import { hashToken } from '../db/token-hash.ts'
import { createTurnLimits, RefusedError, type TurnLimits } from './turn-limits.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { memoryCounters } from '../db/rate-counters.ts'

export const GREETING =
  "Hi, I'm Jelly 🪼 your DeFiChain buddy from the deep! Ask me about DeFiChain, live chain data like blocks, prices or an address, or let me do some math for you 🌊"

export type ChatEvent =
  | { type: 'tool_start'; tool_name: string }
  | { type: 'final_answer_token'; token: string }
  | { type: 'final_message'; message: string; message_id: number }
  | { type: 'error'; error: string }

export type EmitChatEvent = (event: ChatEvent) => void

/** New messages are refused while the server shuts down. */
export class ServiceUnavailableError extends Error {}

/** A turn that failed after the chat service logged why (once); `cause` is the original error. */
export class TurnFailedError extends Error {}

/** A client_message_id sent again with a different message: refused, nothing stored. */
export class ClientMessageIdConflictError extends Error {}

/** How long turns cut at the end of the shutdown grace get to store their answer. */
const WIND_DOWN_MS = 500

export type Transport = 'rest' | 'sse' | 'socket.io' | 'websocket' | 'openai' | 'mcp' | 'cli'

/** One user message as every transport hands it to the message path. */
export interface IncomingMessage {
  userToken: string
  message: string
  application: string | null
  transport: Transport
  /** The client's address, for per-IP limits. */
  ip?: string
  /** The client's own id for this message, so a retry returns the stored answer. */
  clientMessageId?: string
}

export interface TurnReply {
  answer: string
  /** Id of Jelly's stored answer (as in /history). */
  messageId: number
}

/** What /history returns by default and at most. */
export const HISTORY_PAGE = { default: 100, max: 200 } as const

export interface ChatServiceOptions {
  repository: ChatRepository
  agent: Agent
  log: Logger
  historyWindow: number
  turnTimeoutMs: number
  /** Limits and metrics as the server composes them; without them (tests of the path alone) nothing is limited. */
  limits?: TurnLimits
  metrics?: Metrics
}

export function createChatService({ repository, agent, log, historyWindow, turnTimeoutMs, limits = unlimited(), metrics = createMetrics() }: ChatServiceOptions) {
  // Turns of one user run one after the other; the map holds each user's tail, by token hash.
  const userQueues = new Map<string, Promise<unknown>>()
  const inFlight = new Set<Promise<unknown>>()
  // Aborted when the shutdown grace runs out: turns still running then answer from what they have.
  // Each turn in flight listens to it (until it ends), so hundreds may at once.
  const shutdown = new AbortController()
  setMaxListeners(0, shutdown.signal)
  let accepting = true
  // The unstored greeting's timestamp: fixed, so that reading twice reads the same.
  const greetingTime = new Date().toISOString()

  async function handleMessage(input: IncomingMessage, emit: EmitChatEvent): Promise<TurnReply> {
    if (!accepting) {
      log.info({ transport: input.transport }, 'message turned away: shutting down')
      throw new ServiceUnavailableError('Jelly is restarting, please send your message again in a moment')
    }
    const userKey = hashToken(input.userToken).toString('hex')
    let release: () => void
    try {
      release = await limits.admit(userKey, input.ip)
    } catch (error) {
      if (error instanceof RefusedError) {
        log.info({ transport: input.transport, reason: error.reason, retryAfterSeconds: error.retryAfterSeconds }, 'message refused')
        metrics.refused(error.reason, input.transport)
      }
      throw error
    }
    const previous = userQueues.get(userKey) ?? Promise.resolve()
    const turn = previous.then(() => runLoggedTurn(input, safely(emit)))
    const tail = turn.catch(() => undefined)
    userQueues.set(userKey, tail)
    inFlight.add(tail)
    void tail.then(() => {
      release()
      inFlight.delete(tail)
      if (userQueues.get(userKey) === tail) userQueues.delete(userKey)
    })
    return turn
  }

  // The one place a failed turn is logged, whatever failed (database, agent); transports only word it.
  async function runLoggedTurn(input: IncomingMessage, emit: EmitChatEvent): Promise<TurnReply> {
    const started = performance.now()
    try {
      return await runTurn(input, emit, started)
    } catch (error) {
      if (error instanceof ClientMessageIdConflictError) {
        log.info({ transport: input.transport, application: input.application, outcome: 'refused', reason: error.message }, 'message refused')
        throw error
      }
      const durationMs = elapsed(started)
      log.error({ err: error, transport: input.transport, application: input.application, durationMs, outcome: 'failed' }, 'turn failed')
      metrics.turn({ transport: input.transport, mode: 'none', outcome: 'failed', durationMs })
      throw new TurnFailedError('turn failed', { cause: error })
    }
  }

  async function runTurn({ userToken, message, application, transport, clientMessageId }: IncomingMessage, emit: EmitChatEvent, started: number): Promise<TurnReply> {
    const userId = await repository.ensureUser(userToken, GREETING, application)
    const { humanId, history, earlier } = await repository.addHumanMessage(userId, message, application, historyWindow, clientMessageId ?? null)
    const turnLog = log.child({ userId, application, transport })
    if (earlier && earlier.content !== message) {
      throw new ClientMessageIdConflictError(`client_message_id ${JSON.stringify(clientMessageId)} was already used for a different message`)
    }
    if (earlier?.answer) {
      // A retry of a stored turn: the same answer and id, without running the agent again.
      const { messageId, content } = earlier.answer
      emit({ type: 'final_answer_token', token: content })
      emit({ type: 'final_message', message: content, message_id: messageId })
      const durationMs = elapsed(started)
      turnLog.info({ durationMs, outcome: 'replayed' }, 'turn')
      metrics.turn({ transport, mode: 'none', outcome: 'replayed', durationMs })
      return { answer: content, messageId }
    }

    // Tool lines are stored in the order they start, without holding up the agent.
    let toolWrites: Promise<unknown> = Promise.resolve()
    let firstTokenMs: number | undefined
    const toolCalls: { tool: string; ok: boolean; durationMs: number }[] = []
    const llmCalls = { ok: 0, failed: 0, retries: 0 }
    const onAgentEvent = (event: AgentEvent) => {
      switch (event.type) {
        case 'tool_start':
          toolWrites = toolWrites.then(() => repository.addToolMessage(userId, event.line, application))
          return emit({ type: 'tool_start', tool_name: event.line })
        case 'token':
          firstTokenMs ??= elapsed(started)
          return emit({ type: 'final_answer_token', token: event.token })
        case 'tool_end':
          toolCalls.push({ tool: event.tool, ok: event.ok, durationMs: Math.round(event.durationMs) })
          return metrics.toolCall(event.tool, event.ok, event.durationMs)
        case 'llm_call':
          if (event.ok) llmCalls.ok++
          else llmCalls.failed++
          if (event.retry) llmCalls.retries++
          return metrics.llmRequest(event.ok, event.retry)
      }
    }

    let result: AgentResult
    const turnDeadline = deadline(turnTimeoutMs, shutdown.signal)
    try {
      result = await agent.run({
        message,
        history: history.map((row) => ({ role: row.message_type, content: row.content })),
        signal: turnDeadline.signal,
        log: turnLog,
        emit: onAgentEvent,
      })
    } catch (error) {
      await toolWrites
      throw error
    } finally {
      turnDeadline.release()
    }
    await toolWrites
    const { messageId, answer } = await repository.completeTurn(userId, humanId, message, result.answer, application)
    emit({ type: 'final_message', message: answer, message_id: messageId })
    const durationMs = elapsed(started)
    turnLog.info(
      {
        mode: result.mode,
        tools: result.tools,
        toolCalls,
        toolRounds: result.toolRounds,
        llmCalls,
        model: result.model,
        usage: result.usage,
        costUsd: result.costUsd,
        firstTokenMs,
        durationMs,
        outcome: 'answered',
      },
      'turn',
    )
    metrics.turn({ transport, mode: result.mode, outcome: 'answered', durationMs, firstTokenMs, result })
    return { answer, messageId }
  }

  /**
   * A page of the user's messages, oldest first. Reading stores nothing: a token
   * that never sent a message sees Jelly's greeting (id 0, not stored yet; it is
   * stored with the first message).
   */
  async function history(userToken: string, { limit = HISTORY_PAGE.default, before }: { limit?: number; before?: number } = {}): Promise<StoredMessage[]> {
    const userId = await repository.findUser(userToken)
    if (userId === undefined) return [{ id: 0, message_type: 'jelly', content: GREETING, timestamp: greetingTime, application: null }]
    return repository.history(userId, limit, before)
  }

  /**
   * Stops taking new messages and waits up to `timeoutMs` for the ones under way.
   * Turns still running then have their deadline cut: the LLM loop answers
   * offline at once, so those clients still get a stored answer before their
   * connection closes. Resolves false when the grace was not enough.
   */
  async function drain(timeoutMs: number): Promise<boolean> {
    accepting = false
    if (await settledWithin(timeoutMs)) return true
    shutdown.abort(new DOMException('the server is shutting down', 'AbortError'))
    await settledWithin(WIND_DOWN_MS)
    return false
  }

  function settledWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const all = Promise.all([...inFlight]).then(() => true)
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)))
    return Promise.race([all, timeout]).finally(() => clearTimeout(timer))
  }

  return { handleMessage, history, drain, accepting: () => accepting }
}

export type ChatService = ReturnType<typeof createChatService>

// A client that vanished mid-turn must not break the turn.
function safely(emit: EmitChatEvent): EmitChatEvent {
  return (event) => {
    try {
      emit(event)
    } catch {
      // The transport is gone; the turn is still stored.
    }
  }
}

function unlimited(): TurnLimits {
  return createTurnLimits({ counters: memoryCounters(), maxPendingPerUser: 0, maxTurnsInFlight: 0, eventLoopLagging: () => false })
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started)
}
