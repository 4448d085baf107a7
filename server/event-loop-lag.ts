// Is the event loop lagging? The mean delay over the last sample interval, from
// Node's own histogram (the measure @fastify/under-pressure uses), so the message
// path of every transport can check it without a request object.
import { monitorEventLoopDelay } from 'node:perf_hooks'

const SAMPLE_MS = 500

export function watchEventLoopLag(maxDelayMs: number) {
  if (maxDelayMs <= 0) return { lagging: () => false, stop: () => undefined }
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  let delayMs = 0
  const timer = setInterval(() => {
    // The histogram includes the resolution itself; what is above it is lag.
    delayMs = Math.max(0, histogram.mean / 1e6 - 10)
    histogram.reset()
  }, SAMPLE_MS)
  timer.unref()
  return {
    lagging: () => delayMs > maxDelayMs,
    stop() {
      clearInterval(timer)
      histogram.disable()
    },
  }
}
