// kill -9 in the middle of a stream of turns on the embedded database: after a
// restart on the same data folder every acknowledged turn is there. The killed
// server is a real process; the restarted app is read through inject().
import t from 'tap'
import { spawnServer } from './helpers/child-server.ts'
import { buildTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'
import { freshDataDir } from './helpers/data-dir.ts'

t.test('no acknowledged turn is lost in a kill -9', async (t) => {
  const dataDir = await freshDataDir()
  const server = await spawnServer(t, { DATA_DIR: dataDir })
  const acknowledged: { question: string; answer: string }[] = []
  let killed = false
  const send = async (k: number) => {
    const question = `what is ${k} plus 1000?`
    try {
      const response = await fetch(`${server.url}/user_message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user_token: `crash-${k % 7}`, message: question }),
      })
      if (response.status === 200) acknowledged.push({ question, answer: ((await response.json()) as { response: string }).response })
    } catch {
      // Cut by the kill: not acknowledged, so it may or may not be stored.
    }
    if (acknowledged.length >= 25 && !killed) {
      killed = true
      server.child.kill('SIGKILL')
    }
  }
  // Eight clients sending one after another until the kill.
  let next = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (!killed && next < 400) await send(next++)
    }),
  )
  t.same(await server.exited, { code: null, signal: 'SIGKILL' }, 'killed mid-stream')
  t.ok(acknowledged.length >= 25, `${acknowledged.length} turns acknowledged before the kill`)

  const restarted = injector((await buildTestApp(t, { DATA_DIR: dataDir })).app)
  const stored = (await restarted.get('/messages_answers?limit=500')).body as { question: string; answer: string }[]
  const found = new Set(stored.map((entry) => `${entry.question}\n${entry.answer}`))
  const lost = acknowledged.filter((turn) => !found.has(`${turn.question}\n${turn.answer}`))
  t.same(lost, [], `every acknowledged turn survived (${stored.length} stored)`)
})
