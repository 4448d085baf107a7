// Where the terminal chat's messages go: the in-process chat service (composed
// as the server composes it) or a running server over Socket.IO. Both speak
// the same ChatEvents, so the terminal code does not care which.
import type { Logger } from 'pino'
import { io, type Socket } from 'socket.io-client'
import type { Config } from '../config.ts'
import type { AgentTrace } from '../../agent/types.ts'
import { composeServices } from '../compose.ts'
import type { ChatEvent } from '../chat-service.ts'
import { socketError } from '../errors.ts'
import { createMessageValidator } from '../message-input.ts'

const APPLICATION = 'terminal'

export interface HistoryEntry {
  message_type: 'human' | 'jelly' | 'tool'
  content: string
}

export interface ChatBackend {
  /** Describes where the answers come from, for the first line on a terminal. */
  describe: string
  history(): Promise<HistoryEntry[]>
  /** Streams one turn's events to `emit`; resolves with the answer, rejects with an error in words. */
  send(message: string, emit: (event: ChatEvent) => void): Promise<string>
  close(): Promise<void>
}

/** A turn the server or service refused or could not answer; the message is fit for the user. */
export class TurnError extends Error {}

export async function inProcessBackend(config: Config, logger: Logger, token: string, trace?: AgentTrace): Promise<ChatBackend> {
  const { db, chat, userTurns } = await composeServices(config, logger, { trace })
  const validate = createMessageValidator(config.maxMessageChars)
  let closing: Promise<void> | undefined
  return {
    describe: `${config.llmEnabled ? `LLM mode (${config.llmModel})` : 'offline mode'}, ${db.embedded ? `embedded database in ${config.dataDir}` : 'DATABASE_URL'}`,
    history: () => chat.history(token),
    async send(message, emit) {
      const checked = validate({ user_token: token, message, application: APPLICATION })
      if ('error' in checked) throw new TurnError(checked.error)
      try {
        const reply = await chat.handleMessage({ userToken: token, message, application: APPLICATION, transport: 'cli' }, emit)
        return reply.answer
      } catch (error) {
        // The same words a socket client gets; logged here only if the chat service did not.
        throw new TurnError(socketError(error, logger, 'cli').error)
      }
    },
    close: () =>
      (closing ??= (async () => {
        const drained = await chat.drain(config.shutdownGraceMs)
        if (!drained) logger.warn({ graceMs: config.shutdownGraceMs }, 'leaving with a turn still running')
        userTurns.close()
        await db.close()
      })()),
  }
}

export async function remoteBackend(url: string, token: string, onEvent?: (event: ChatEvent) => void): Promise<ChatBackend> {
  const socket = await connect(url)
  return {
    describe: url,
    async history() {
      let response: Response
      try {
        response = await fetch(`${url}/history`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_token: token }) })
      } catch (error) {
        throw new TurnError(`Jelly at ${url} could not be reached (${(error as Error).message})`)
      }
      const body = (await response.json().catch(() => ({}))) as HistoryEntry[] | { error?: string }
      if (!response.ok || !Array.isArray(body)) throw new TurnError(`Jelly at ${url} refused the history: ${('error' in body && body.error) || response.status}`)
      return body
    },
    async send(message, emit) {
      await reconnected(socket, url)
      return remoteTurn(socket, url, { user_token: token, message, application: APPLICATION }, (event) => {
        onEvent?.(event)
        emit(event)
      })
    },
    async close() {
      socket.close()
    },
  }
}

function connect(url: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], reconnectionAttempts: 2, reconnectionDelay: 300, timeout: 5000 })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.io.once('reconnect_failed', () => {
      socket.close()
      reject(new TurnError(`Jelly at ${url} could not be reached; is the server running?`))
    })
  })
}

/** After a restart (or any drop) the socket may be down: one more try before a message fails. */
function reconnected(socket: Socket, url: string, timeoutMs = 5000): Promise<void> {
  if (socket.connected) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('connect', onConnect)
      reject(new TurnError(`Not connected to Jelly at ${url}; is the server running?`))
    }, timeoutMs)
    const onConnect = () => {
      clearTimeout(timer)
      resolve()
    }
    socket.once('connect', onConnect)
    // A server that shut down disconnected us itself, and Socket.IO does not retry those on
    // its own; after failed retries it has stopped too. connect() is a no-op while it is trying.
    socket.connect()
  })
}

function remoteTurn(socket: Socket, url: string, payload: Record<string, string>, emit: (event: ChatEvent) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const names = ['tool_start', 'final_answer_token', 'final_message', 'error'] as const
    const done = () => {
      for (const name of names) socket.off(name)
      socket.off('disconnect', onDisconnect)
    }
    const onDisconnect = () => {
      done()
      reject(new TurnError(`Lost the connection to Jelly at ${url}; if it got there, the answer will be in the conversation once Jelly is back`))
    }
    socket.on('tool_start', ({ tool_name }: { tool_name: string }) => emit({ type: 'tool_start', tool_name }))
    socket.on('final_answer_token', ({ token }: { token: string }) => emit({ type: 'final_answer_token', token }))
    socket.on('final_message', ({ message, message_id }: { message: string; message_id: number }) => {
      done()
      emit({ type: 'final_message', message, message_id })
      resolve(message)
    })
    socket.on('error', ({ error }: { error: string }) => {
      done()
      emit({ type: 'error', error })
      reject(new TurnError(error))
    })
    socket.once('disconnect', onDisconnect)
    socket.emit('user_message', payload)
  })
}
