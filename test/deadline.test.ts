// Waiting with a deadline: a caller that stops waiting leaves no failure of the
// work behind to surface later as an unhandled rejection (which ends a server).
import t from 'tap'
import { abortable, deadline } from '../lib/deadline.ts'

const failsSoon = () => new Promise<never>((_, reject) => setTimeout(() => reject(new Error('read ECONNRESET')), 20))

async function unhandledWhile(work: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = []
  const record = (reason: unknown) => seen.push(reason)
  process.on('unhandledRejection', record)
  try {
    await work()
    await new Promise((resolve) => setTimeout(resolve, 60))
  } finally {
    process.off('unhandledRejection', record)
  }
  return seen
}

t.test('the signal already aborted: the call is refused at once, and the work failing later is handled', async (t) => {
  const controller = new AbortController()
  controller.abort(new Error('gave up'))
  const seen = await unhandledWhile(() => t.rejects(abortable(failsSoon(), controller.signal), { message: 'gave up' }))
  t.same(seen, [], 'no unhandled rejection')
})

t.test('the signal aborting while the work runs: the caller gets the reason, the later failure is handled', async (t) => {
  const wait = deadline(5)
  const seen = await unhandledWhile(() => t.rejects(abortable(failsSoon(), wait.signal), { name: 'TimeoutError' }))
  wait.release()
  t.same(seen, [], 'no unhandled rejection')
})

t.test('the work finishing first: its value, or its own error', async (t) => {
  const wait = deadline(1000)
  t.equal(await abortable(Promise.resolve(42), wait.signal), 42)
  await t.rejects(abortable(failsSoon(), wait.signal), { message: 'read ECONNRESET' })
  wait.release()
})
