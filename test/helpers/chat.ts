// Helpers for end-to-end chat tests: recording every event a connection
// receives, reading one turn out of the record, and the server's stored state.
import type { Socket } from 'socket.io-client'
import type WebSocket from 'ws'

export interface ChatFrame {
  type: string
  [key: string]: unknown
}

export interface Recorder {
  /** Every event received so far, in order. */
  events: ChatFrame[]
  /**
   * Resolves with the events from index `from` up to and including the `count`-th
   * one that `done` accepts; rejects after `timeoutMs` so a missing event fails fast.
   */
  until(done: (event: ChatFrame) => boolean, options?: { from?: number; count?: number; timeoutMs?: number }): Promise<ChatFrame[]>
}

export const endsTurn = (event: ChatFrame) => event.type === 'final_message' || event.type === 'error'

function createRecorder(): Recorder & { push(event: ChatFrame): void } {
  const events: ChatFrame[] = []
  const waiters = new Set<() => void>()
  return {
    events,
    push(event) {
      events.push(event)
      for (const check of [...waiters]) check()
    },
    until(done, { from = 0, count = 1, timeoutMs = 10_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          let seen = 0
          for (let i = from; i < events.length; i++) {
            if (done(events[i]) && ++seen === count) {
              waiters.delete(check)
              clearTimeout(timer)
              return resolve(events.slice(from, i + 1))
            }
          }
        }
        // Unref'd: a wait a test left behind (its server was killed) need not hold the file open.
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out after ${timeoutMs} ms; events so far: ${JSON.stringify(events.slice(from))}`))
        }, timeoutMs).unref()
        waiters.add(check)
        check()
      })
    },
  }
}

export function recordSocketIo(socket: Socket): Recorder {
  const recorder = createRecorder()
  socket.onAny((type: string, data: unknown) => recorder.push({ type, ...(data as object) }))
  return recorder
}

export function recordWs(ws: WebSocket): Recorder {
  const recorder = createRecorder()
  ws.on('message', (data) => recorder.push(JSON.parse(data.toString()) as ChatFrame))
  return recorder
}

/** Emits on Socket.IO and resolves with that turn's events (through final_message or error). */
export async function socketIoSend(socket: Socket, recorder: Recorder, ...args: unknown[]): Promise<ChatFrame[]> {
  const from = recorder.events.length
  socket.emit('user_message', ...args)
  return recorder.until(endsTurn, { from })
}

/** Sends one frame (an object as JSON, a string as is) and resolves with that turn's frames. */
export async function wsSend(ws: WebSocket, recorder: Recorder, frame: unknown): Promise<ChatFrame[]> {
  const from = recorder.events.length
  ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  return recorder.until(endsTurn, { from })
}

export interface Turn {
  toolStarts: string[]
  tokens: string[]
  final: string | undefined
  errors: string[]
  /** Event types in arrival order. */
  order: string[]
}

export function readTurn(events: ChatFrame[]): Turn {
  return {
    toolStarts: events.filter((e) => e.type === 'tool_start').map((e) => String(e.tool_name)),
    tokens: events.filter((e) => e.type === 'final_answer_token').map((e) => String(e.token)),
    final: events.find((e) => e.type === 'final_message')?.message as string | undefined,
    errors: events.filter((e) => e.type === 'error').map((e) => String(e.error)),
    order: events.map((e) => e.type),
  }
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { headers })
  return { status: response.status, body: await response.json() }
}

/** POSTs a raw body with exactly the given headers (for malformed-request tests). */
export async function postRaw(url: string, body: string | undefined, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers, body })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

export interface StoredState {
  history: any[]
  humanMessageCount: string
  messagesAnswers: any[]
}

/** What the server has stored, seen through the public API. */
export async function storedState(url: string, userToken: string, adminHeaders: Record<string, string> = {}): Promise<StoredState> {
  const history = await fetch(`${url}/history`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_token: userToken }),
  }).then((response) => response.json())
  const badge = await getJson(`${url}/human_message_count`)
  const qa = await getJson(`${url}/messages_answers?limit=500`, adminHeaders)
  return { history, humanMessageCount: badge.body.status, messagesAnswers: qa.body }
}

/** Polls `check` until it returns something truthy, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
