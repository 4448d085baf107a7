// A turn written to the client as server-sent events, shared by SSE on
// /user_message and streaming /v1/chat/completions. The response opens at the
// first event or keep-alive tick, so a turn refused at once (429, 503) still
// gets its HTTP status and JSON error instead of an empty stream.
import { PassThrough } from 'node:stream'
import type { FastifyReply } from 'fastify'

export interface EventStreamTurn {
  /**
   * Runs the turn; `write` sends raw SSE text (it opens the stream if needed, and does nothing once the client left).
   * `last` marks the turn's final event: no keep-alive follows it while the turn finishes (e.g. the queue's release).
   */
  run(write: (text: string, last?: boolean) => void): Promise<void>
  /** SSE text for a failure after the stream opened. */
  lateError(error: unknown): string
  /** Text written just before the stream ends after success (e.g. `data: [DONE]`). */
  end?: string
}

export const sseEvent = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`
export const sseData = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`

/** Wants text/event-stream: true when the Accept header names it. */
export function acceptsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.split(';')[0].trim().toLowerCase() === 'text/event-stream')
}

/**
 * Resolves once the reply is sent (the stream is open); rejects with the turn's
 * error when it failed before anything was written, for the route's error handler.
 */
export function streamTurn(reply: FastifyReply, keepAliveMs: number, turn: EventStreamTurn): Promise<FastifyReply> {
  return new Promise((resolve, reject) => {
    const stream = new PassThrough()
    let open = false
    const openStream = () => {
      if (open) return
      open = true
      resolve(
        reply
          .code(200)
          .header('content-type', 'text/event-stream; charset=utf-8')
          .header('cache-control', 'no-cache, no-transform')
          // Tells nginx-style proxies not to buffer the stream.
          .header('x-accel-buffering', 'no')
          .send(stream),
      )
    }
    // A client that went away destroys the stream; the turn goes on and is stored.
    const write = (text: string, last = false) => {
      if (last) clearInterval(keepAlive)
      openStream()
      if (!stream.destroyed && !stream.writableEnded) stream.write(text)
    }
    const keepAlive = setInterval(() => write(': keep-alive\n\n'), keepAliveMs)
    turn.run(write).then(
      () => {
        clearInterval(keepAlive)
        openStream()
        if (turn.end) write(turn.end)
        stream.end()
      },
      (error: unknown) => {
        clearInterval(keepAlive)
        if (!open) return reject(error)
        write(turn.lateError(error))
        stream.end()
      },
    )
  })
}
