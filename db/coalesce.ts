/**
 * Calls made in the same event-loop turn run as one statement. A statement's
 * fixed cost is most of a small one's: on the embedded database, 1,000 turns'
 * human messages cost ~0.25 ms each one by one and ~0.04 ms each as one insert
 * (measured), and a burst of turns no longer queues behind itself. A lone call
 * runs `runOne` as before; if the joint statement fails, each call runs on its
 * own, so a call's error stays its own.
 */
export function coalesce<In, Out>(runMany: (inputs: In[]) => Promise<Out[]>, runOne: (input: In) => Promise<Out>, maxBatch = 500) {
  let pending: { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = []

  const flush = async () => {
    const batch = pending
    pending = []
    if (batch.length === 0) return
    if (batch.length === 1) return runOne(batch[0].input).then(batch[0].resolve, batch[0].reject)
    let outputs: Out[]
    try {
      outputs = await runMany(batch.map((call) => call.input))
    } catch {
      for (const call of batch) runOne(call.input).then(call.resolve, call.reject)
      return
    }
    batch.forEach((call, index) => call.resolve(outputs[index]))
  }

  return (input: In): Promise<Out> =>
    new Promise<Out>((resolve, reject) => {
      pending.push({ input, resolve, reject })
      if (pending.length === 1) setImmediate(flush)
      else if (pending.length >= maxBatch) void flush()
    })
}
