// The one message path. Transports validate input and translate ChatEvents to
// their wire format; everything else (storage order, per-user ordering, the
// agent, the turn log) happens here.
import { setMaxListeners } from 'node:events'
import type { Logger } from 'pino'
import type { Agent, AgentEvent, AgentResult } from '../agent/types.ts'
import type { ChatRepository, StoredMessage } from '../db/chat-repository.ts'
import { isDatabaseUnavailable } from '../db/errors.ts'
import { abortable, deadline } from '../lib/deadline.ts'
import { hashToken } from '../db/token-hash.ts'
import { createTurnLimits, RefusedError, type TurnLimits } from './turn-limits.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { memoryCounters } from '../db/rate-counters.ts'
import { TurnWaitTimeoutError, type UserTurns } from './user-turns.ts'

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

/** The database is away or hangs, or the user's previous turn would not end: the client should try again (503). */
export class TurnUnavailableError extends ServiceUnavailableError {}

// Storing an answer the agent finished after the turn deadline (its fallback) still gets this long.
const STORE_GRACE_MS = 2000
const RESTARTING = 'Jelly is restarting, please send your message again in a moment'
const SLOW_DATABASE = "Jelly's database is not answering in time right now 🪼 Please send your message again in a moment."

/** A client_message_id sent again with a different message: refused, nothing stored. */
export class ClientMessageIdConflictError extends Error {}

/** How long turns cut at the end of the shutdown grace get to answer from what they have and store it … */
const WIND_DOWN_MS = 500
/** … of which the answer (an LLM turn's offline fallback and its tools) may take this long. */
const LAST_ANSWER_MS = 300

export type Transport = 'rest' | 'sse' | 'socket.io' | 'websocket' | 'openai' | 'mcp' | 'cli'

/** One user message as every transport hands it to the message path. */
export interface IncomingMessage {
  userToken: string
  message: string
  application: string | null
  transport: Transport
  /** The client's address, for per-IP limits. */
  ip?: string
  /** The client's own id for this message, so a retry returns the stored answer (null or absent: none). */
  clientMessageId?: string | null
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
  /** One user's turns one at a time, in arrival order (across instances on a shared database). */
  userTurns: UserTurns
  /** Limits and metrics as the server composes them; without them (tests of the path alone) nothing is limited. */
  limits?: TurnLimits
  metrics?: Metrics
}

export function createChatService({
  repository,
  agent,
  log,
  historyWindow,
  turnTimeoutMs,
  userTurns,
  limits = unlimited(),
  metrics = createMetrics(),
}: ChatServiceOptions) {
  const inFlight = new Set<Promise<unknown>>()
  // Aborted when the shutdown grace runs out: turns still running then answer from what they have.
  // Each turn in flight listens to it (until it ends), so hundreds may at once.
  const shutdown = new AbortController()
  setMaxListeners(0, shutdown.signal)
  // Aborted a little later: what turns still do then ends, so their answers are stored in time.
  const lastMoment = new AbortController()
  setMaxListeners(0, lastMoment.signal)
  let accepting = true
  // The unstored greeting's timestamp: fixed, so that reading twice reads the same.
  const greetingTime = new Date().toISOString()

  async function handleMessage(input: IncomingMessage, emit: EmitChatEvent): Promise<TurnReply> {
    if (!accepting) {
      log.info({ transport: input.transport }, 'message turned away: shutting down')
      throw new ServiceUnavailableError(RESTARTING)
    }
    // In flight from here: admission may wait on the database, and a drain must wait for it too.
    const turn = admitAndRun(input, emit)
    const tail = turn.catch(() => undefined)
    inFlight.add(tail)
    void tail.then(() => inFlight.delete(tail))
    return turn
  }

  async function admitAndRun(input: IncomingMessage, emit: EmitChatEvent): Promise<TurnReply> {
    let release: () => void
    try {
      release = await limits.admit(hashToken(input.userToken).toString('hex'), input.ip)
    } catch (error) {
      if (error instanceof RefusedError) {
        log.info({ transport: input.transport, reason: error.reason, retryAfterSeconds: error.retryAfterSeconds }, 'message refused')
        metrics.refused(error.reason, input.transport)
        throw error
      }
      // The shared rate counters live in the database: when it is away, the client should retry, as for a turn.
      const retry = retryable(error)
      if (!retry) throw error
      log.error({ err: error, transport: input.transport, application: input.application, outcome: 'unavailable' }, 'message not admitted')
      throw retry
    }
    try {
      return await runLoggedTurn(input, safely(emit))
    } finally {
      release()
    }
  }

  // The one place a failed turn is logged, whatever failed (database, agent); transports only word it.
  async function runLoggedTurn(input: IncomingMessage, emit: EmitChatEvent): Promise<TurnReply> {
    const started = performance.now()
    try {
      // One user's turns one at a time, in arrival order (across instances too).
      return await userTurns.run(input.userToken, () => runTurn(input, emit, performance.now()))
    } catch (error) {
      if (error instanceof ClientMessageIdConflictError) {
        log.info({ transport: input.transport, application: input.application, outcome: 'refused', reason: error.message }, 'message refused')
        throw error
      }
      const retry = retryable(error)
      const durationMs = elapsed(started)
      const outcome = retry ? 'unavailable' : 'failed'
      log.error({ err: error, transport: input.transport, application: input.application, durationMs, outcome }, 'turn failed')
      metrics.turn({ transport: input.transport, mode: 'none', outcome, durationMs })
      throw retry ?? new TurnFailedError('turn failed', { cause: error })
    }
  }

  async function runTurn({ userToken, message, application, transport, clientMessageId }: IncomingMessage, emit: EmitChatEvent, started: number): Promise<TurnReply> {
    // A turn that waited behind the user's previous one until the grace ran out stores nothing.
    if (shutdown.signal.aborted) throw new TurnUnavailableError(RESTARTING)
    // The whole turn, storage included: a database that hangs cannot hold it longer.
    const turnDeadline = deadline(turnTimeoutMs, shutdown.signal)
    // Storing the message is not cut by the end of the grace: a turn under way then answers from what it has.
    const storing = deadline(turnTimeoutMs)
    const starting = repository.startTurn(userToken, GREETING, message, application, historyWindow, clientMessageId ?? null)
    let stored: Awaited<typeof starting>
    try {
      stored = await abortable(starting, storing.signal)
    } catch (error) {
      turnDeadline.release()
      if (!storing.expired()) throw error
      // The client is told to send it again, but the insert may still commit: then it is taken
      // back, so the resend is no duplicate (a resend with the same client_message_id is answered instead).
      if (clientMessageId == null) {
        void starting
          .then(
            ({ userId, humanId }) => repository.withdrawMessage(userId, humanId),
            () => undefined,
          )
          .catch((withdrawError: unknown) => log.warn({ err: withdrawError }, 'a message stored after its turn gave up was not taken back'))
      }
      throw new TurnUnavailableError(SLOW_DATABASE, { cause: error })
    } finally {
      storing.release()
    }
    const { userId, humanId, history, earlier } = stored
    const turnLog = log.child({ userId, application, transport })
    if (earlier && earlier.content !== message) {
      turnDeadline.release()
      throw new ClientMessageIdConflictError(`client_message_id ${JSON.stringify(clientMessageId)} was already used for a different message`)
    }
    if (earlier?.answer) {
      // A retry of a stored turn: the same answer and id, without running the agent again.
      turnDeadline.release()
      const { messageId, content } = earlier.answer
      emit({ type: 'final_answer_token', token: content })
      emit({ type: 'final_message', message: content, message_id: messageId })
      const durationMs = elapsed(started)
      turnLog.info({ durationMs, outcome: 'replayed' }, 'turn')
      metrics.turn({ transport, mode: 'none', outcome: 'replayed', durationMs })
      return { answer: content, messageId }
    }

    // Tool lines in the order they start, stored with the answer (one statement less per turn),
    // or on their own if the turn ends without one.
    const toolLines: string[] = []
    let firstTokenMs: number | undefined
    const toolCalls: { tool: string; ok: boolean; durationMs: number }[] = []
    const llmCalls = { ok: 0, failed: 0, retries: 0 }
    const onAgentEvent = (event: AgentEvent) => {
      switch (event.type) {
        case 'tool_start':
          toolLines.push(event.line)
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
    try {
      result = await agent.run({
        message,
        history: history.map((row) => ({ role: row.message_type, content: row.content })),
        signal: turnDeadline.signal,
        lastMoment: lastMoment.signal,
        log: turnLog,
        emit: onAgentEvent,
      })
    } catch (error) {
      turnDeadline.release()
      await storeToolLines(userId, toolLines, application, turnLog)
      throw error
    }
    turnDeadline.release()
    const store = deadline(Math.max(STORE_GRACE_MS, turnTimeoutMs - elapsed(started)))
    let completed: Awaited<ReturnType<ChatRepository['completeTurn']>>
    try {
      completed = await abortable(repository.completeTurn(userId, humanId, message, result.answer, application, toolLines), store.signal)
    } catch (error) {
      throw store.expired() ? new TurnUnavailableError(SLOW_DATABASE, { cause: error }) : error
    } finally {
      store.release()
    }
    const { messageId, answer } = completed
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

  // The transcript keeps what a failed turn ran; the turn's own error is what gets reported.
  async function storeToolLines(userId: number, lines: string[], application: string | null, turnLog: Logger): Promise<void> {
    const store = deadline(STORE_GRACE_MS)
    try {
      for (const line of lines) await abortable(repository.addToolMessage(userId, line, application), store.signal)
    } catch (error) {
      turnLog.warn({ err: error }, 'tool lines of a failed turn not stored')
    } finally {
      store.release()
    }
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
    const reason = new DOMException('the server is shutting down', 'AbortError')
    shutdown.abort(reason)
    const timer = setTimeout(() => lastMoment.abort(reason), LAST_ANSWER_MS)
    await settledWithin(WIND_DOWN_MS)
    clearTimeout(timer)
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

// Failures the client should simply retry: a 503 / error event in words.
function retryable(error: unknown): TurnUnavailableError | undefined {
  if (error instanceof TurnUnavailableError) return error
  if (error instanceof TurnWaitTimeoutError) {
    return new TurnUnavailableError('Jelly is still answering your previous message 🪼 Please send this one again in a moment.', { cause: error })
  }
  if (isDatabaseUnavailable(error)) {
    return new TurnUnavailableError('Jelly cannot reach its database right now 🪼 Please send your message again in a moment.', { cause: error })
  }
  return undefined
}
