// The one message path. Transports validate input and translate ChatEvents to
// their wire format; everything else (storage order, per-user ordering, the
// agent, the turn log) happens here.
import type { Logger } from 'pino'
import type { Agent, AgentEvent, AgentResult } from '../agent/types.ts'
import type { ChatRepository, StoredMessage } from '../db/chat-repository.ts'
import { deadline } from '../lib/deadline.ts'

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
}

export function createChatService({ repository, agent, log, historyWindow, turnTimeoutMs }: ChatServiceOptions) {
  // Turns of one user run one after the other; the map holds each user's tail.
  const userQueues = new Map<string, Promise<unknown>>()
  const inFlight = new Set<Promise<unknown>>()
  let accepting = true
  // The unstored greeting's timestamp: fixed, so that reading twice reads the same.
  const greetingTime = new Date().toISOString()

  async function handleMessage(input: IncomingMessage, emit: EmitChatEvent): Promise<TurnReply> {
    if (!accepting) {
      log.info({ transport: input.transport }, 'message turned away: shutting down')
      throw new ServiceUnavailableError('Jelly is restarting, please send your message again in a moment')
    }
    const { userToken } = input
    const previous = userQueues.get(userToken) ?? Promise.resolve()
    const turn = previous.then(() => runLoggedTurn(input, safely(emit)))
    const tail = turn.catch(() => undefined)
    userQueues.set(userToken, tail)
    inFlight.add(tail)
    void tail.then(() => {
      inFlight.delete(tail)
      if (userQueues.get(userToken) === tail) userQueues.delete(userToken)
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
      log.error({ err: error, transport: input.transport, application: input.application, durationMs: elapsed(started), outcome: 'failed' }, 'turn failed')
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
      turnLog.info({ durationMs: elapsed(started), outcome: 'replayed' }, 'turn')
      return { answer: content, messageId }
    }

    // Tool lines are stored in the order they start, without holding up the agent.
    let toolWrites: Promise<unknown> = Promise.resolve()
    const onAgentEvent = (event: AgentEvent) => {
      if (event.type === 'tool_start') {
        toolWrites = toolWrites.then(() => repository.addToolMessage(userId, event.line, application))
        emit({ type: 'tool_start', tool_name: event.line })
      } else {
        emit({ type: 'final_answer_token', token: event.token })
      }
    }

    let result: AgentResult
    const turnDeadline = deadline(turnTimeoutMs)
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
    turnLog.info(
      {
        mode: result.mode,
        tools: result.tools,
        toolRounds: result.toolRounds,
        model: result.model,
        usage: result.usage,
        costUsd: result.costUsd,
        durationMs: elapsed(started),
        outcome: 'answered',
      },
      'turn',
    )
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

  /** Stops taking new messages and waits (bounded) for the ones under way. */
  async function drain(timeoutMs: number): Promise<boolean> {
    accepting = false
    const all = Promise.all([...inFlight]).then(() => true)
    const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, timeoutMs, false).unref())
    return Promise.race([all, timeout])
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

function elapsed(started: number): number {
  return Math.round(performance.now() - started)
}
