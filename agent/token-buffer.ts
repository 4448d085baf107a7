/**
 * Joins text deltas that arrive within one turn of the event loop (one network
 * read from the provider) into one token event. The user sees them at the same
 * instant either way; under load this saves dozens of socket frames per answer.
 */
export function createTokenBuffer(send: (token: string) => void) {
  let pending = ''
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (!pending) return
    const token = pending
    pending = ''
    send(token)
  }
  return {
    push(token: string) {
      pending += token
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    flush,
  }
}
