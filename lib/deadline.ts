/**
 * A signal that aborts after `ms`, or as soon as `parent` does, with a release()
 * that clears its timer once the work is done. Unlike AbortSignal.timeout (and
 * AbortSignal.any over it), nothing stays alive until the time would have run
 * out, which at hundreds of turns a second is a lot of memory.
 */
export interface Deadline {
  signal: AbortSignal
  /** True when the time ran out (not when the parent aborted). */
  expired(): boolean
  release(): void
}

export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController()
  let expired = false
  const timer = setTimeout(() => {
    expired = true
    controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError'))
  }, ms)
  const onParentAbort = () => controller.abort(parent?.reason)
  if (parent?.aborted) onParentAbort()
  else parent?.addEventListener('abort', onParentAbort, { once: true })
  return {
    signal: controller.signal,
    expired: () => expired,
    release() {
      clearTimeout(timer)
      parent?.removeEventListener('abort', onParentAbort)
    },
  }
}

/**
 * Stops waiting for `work` when `signal` aborts (rejecting with its reason);
 * for work that may ignore its signal, or that other callers still share.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    // Handled even when the signal wins: a failure after the caller gave up is not an unhandled rejection.
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    if (signal.aborted) onAbort()
  })
}
