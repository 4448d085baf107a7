// Turns of one user run one at a time, in arrival order. In this process a
// promise chain per user orders them; with a database other instances share,
// each message also takes a ticket in the database's turn queue and runs once
// its ticket is the user's lowest. The chain comes first, so one instance
// alone never polls: its previous turn has left the queue when the next looks.
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { TurnQueue } from '../db/turn-queue.ts'
import { abortable, deadline } from '../lib/deadline.ts'

/** A message waited longer than TURN_QUEUE_TIMEOUT_MS for the user's previous turn. */
export class TurnWaitTimeoutError extends Error {}

export interface UserTurns {
  /** Runs `turn` after every earlier turn of this user; rejects with TurnWaitTimeoutError if that takes too long. */
  run<T>(userToken: string, turn: () => Promise<T>): Promise<T>
  close(): void
}

const HEARTBEAT_MS = 1000
/** A ticket whose holder has not beaten for this long belongs to a dead instance. */
export const STALE_AFTER_MS = 5000
const POLL_FIRST_MS = 10
const POLL_MAX_MS = 200

interface Lane {
  /** The last ticket taken here: the next waits for it, so tickets keep arrival order. */
  enqueued: Promise<unknown>
  /** Settles once this and every earlier turn of the user here have. */
  settled: Promise<unknown>
}

export function createUserTurns(options: { queue?: TurnQueue; waitTimeoutMs: number; log: Logger }): UserTurns {
  const { queue, waitTimeoutMs, log } = options
  const lanes = new Map<string, Lane>()
  const held = new Set<number>()
  // Tickets whose turn ended but whose removal failed (the database was away): retried with each heartbeat.
  const leaving = new Set<number>()
  let heartbeatFailing = false
  const heartbeat = setInterval(() => {
    if (!queue || !(held.size || leaving.size)) return
    const done = [...leaving]
    queue.heartbeat([...held], done).then(
      () => {
        heartbeatFailing = false
        done.forEach((id) => leaving.delete(id))
      },
      (error: unknown) => {
        if (!heartbeatFailing) log.warn({ err: error }, 'turn queue heartbeat failed')
        heartbeatFailing = true
      },
    )
  }, HEARTBEAT_MS)
  heartbeat.unref()

  function run<T>(userToken: string, turn: () => Promise<T>): Promise<T> {
    const current = lanes.get(userToken)
    // Nothing to wait for (the common case, one instance): no wait deadline, no ticket.
    if (!queue && !current) return runAlone(userToken, turn)
    const lane = current ?? { enqueued: Promise.resolve(), settled: Promise.resolve() }
    const wait = deadline(waitTimeoutMs)
    const key = queue ? userKey(userToken) : ''
    // Kept alive from the start: it may wait behind a long turn here first.
    const ticket = queue ? lane.enqueued.then(() => queue.enqueue(key)).then((id) => (held.add(id), id)) : undefined
    const result = (async () => {
      let id: number | undefined
      try {
        try {
          await abortable(lane.settled, wait.signal)
          if (ticket && queue) {
            id = await abortable(ticket, wait.signal)
            await waitForHead(queue, key, id, wait.signal)
          }
        } catch (error) {
          if (!wait.expired()) throw error
          throw new TurnWaitTimeoutError(`waited ${waitTimeoutMs} ms for the previous turn`)
        } finally {
          wait.release()
        }
        return await turn()
      } finally {
        if (queue && id !== undefined) {
          const ticketId = id
          held.delete(ticketId)
          await queue.leave(ticketId).catch(() => leaving.add(ticketId))
        } else if (queue && ticket) {
          // Taken after the wait gave up: give it back once it exists.
          void ticket.then(
            (late) => {
              held.delete(late)
              return queue.leave(late).catch(() => leaving.add(late))
            },
            () => undefined,
          )
        }
      }
    })()
    const next: Lane = {
      enqueued: ticket?.catch(() => undefined) ?? lane.enqueued,
      settled: result.catch(() => undefined).then(() => lane.settled),
    }
    lanes.set(userToken, next)
    void next.settled.then(() => {
      if (lanes.get(userToken) === next) lanes.delete(userToken)
    })
    return result
  }

  function runAlone<T>(userToken: string, turn: () => Promise<T>): Promise<T> {
    const result = turn()
    const next: Lane = { enqueued: Promise.resolve(), settled: result.catch(() => undefined) }
    lanes.set(userToken, next)
    void next.settled.then(() => {
      if (lanes.get(userToken) === next) lanes.delete(userToken)
    })
    return result
  }

  return { run, close: () => clearInterval(heartbeat) }
}

// Polls with backoff until the ticket is the user's lowest live one.
async function waitForHead(queue: TurnQueue, key: string, id: number, signal: AbortSignal): Promise<void> {
  let pause = POLL_FIRST_MS
  while ((await abortable(queue.head(key), signal)) !== id) {
    await abortable(sleep(pause), signal)
    pause = Math.min(POLL_MAX_MS, pause * 2)
  }
}

function userKey(userToken: string): string {
  return createHash('sha256').update(userToken).digest('base64url').slice(0, 22)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
