/**
 * Joins text deltas into fewer token events. The first piece after a quiet
 * spell goes out at the end of the event-loop turn it arrived in (the deltas of
 * one network read join, so the first token is not held back); while the answer
 * keeps streaming, a send waits until `windowMs` after the previous one. A model
 * streaming a few characters every few ms then costs one socket frame per
 * window instead of one per delta. `flush` sends what is pending at once (before
 * a tool_start, at the end of the answer).
 */
export function createTokenBuffer(send: (token: string) => void, windowMs = 0) {
  let pending = ''
  let scheduled = false
  let lastSent = -Infinity
  const flush = () => {
    if (!pending) return
    const token = pending
    pending = ''
    lastSent = performance.now()
    send(token)
  }
  const scheduledFlush = () => {
    scheduled = false
    flush()
  }
  return {
    push(token: string) {
      pending += token
      if (scheduled) return
      scheduled = true
      const wait = windowMs > 0 ? lastSent + windowMs - performance.now() : 0
      if (wait > 0) setTimeout(scheduledFlush, wait)
      else setImmediate(scheduledFlush)
    },
    flush,
  }
}
