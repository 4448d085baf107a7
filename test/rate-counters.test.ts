// The counters behind the rate limits: on Postgres one table shared by every
// instance (here two counter sets on one embedded database), in memory otherwise;
// and the per-instance REST flood guard (@fastify/rate-limit).
import t from 'tap'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { memoryCounters, postgresCounters } from '../db/rate-counters.ts'
import { freshMigratedDataDir } from './helpers/data-dir.ts'
import { buildTestApp } from './helpers/app.ts'

t.test('Postgres counters are shared between instances and count per key and window', async (t) => {
  const db = await connectDatabase({ dataDir: await freshMigratedDataDir() })
  t.teardown(() => db.close())
  await migrate(db.sql)
  const a = postgresCounters(db.sql)
  const b = postgresCounters(db.sql)
  const keys = [
    { key: 'user:x', windowMs: 60_000 },
    { key: 'ip:1.2.3.4', windowMs: 3_600_000 },
  ]
  const first = await a.hit(keys)
  t.same(
    first.map((hit) => hit.count),
    [1, 1],
  )
  t.ok(first[0].resetInMs > 0 && first[0].resetInMs <= 60_000, 'time left in the minute window')
  t.ok(first[1].resetInMs > 0 && first[1].resetInMs <= 3_600_000, 'time left in the hour window')
  t.same(
    (await b.hit(keys)).map((hit) => hit.count),
    [2, 2],
    'the other instance sees the same counts',
  )
  t.same(
    (await b.hit([{ key: 'user:y', windowMs: 60_000 }])).map((hit) => hit.count),
    [1],
    'another key starts at 1',
  )
  const short = { key: 'user:short', windowMs: 1000 }
  await a.hit([short])
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.same(
    (await a.hit([short])).map((hit) => hit.count),
    [1],
    'a new window starts from 1',
  )
})

t.test('memory counters: fixed windows', async (t) => {
  let now = 120_000
  const counters = memoryCounters(() => now)
  const key = { key: 'k', windowMs: 60_000 }
  t.same(await counters.hit([key]), [{ count: 1, resetInMs: 60_000 }])
  now += 59_000
  t.same(await counters.hit([key]), [{ count: 2, resetInMs: 1000 }])
  now += 1000
  t.same(await counters.hit([key]), [{ count: 1, resetInMs: 60_000 }], 'the next window')
})

t.test('RATE_LIMIT_HTTP (@fastify/rate-limit): REST requests per address, health checks exempt', async (t) => {
  // inject() comes from 127.0.0.1, as a local client would.
  const { app } = await buildTestApp(t, { RATE_LIMIT_HTTP: '3/1m' })
  const history = () => app.inject({ method: 'POST', url: '/history', payload: { user_token: 'reader' } })
  for (let i = 0; i < 3; i++) t.equal((await history()).statusCode, 200)
  const refused = await history()
  t.equal(refused.statusCode, 429)
  t.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After')
  t.match(refused.json(), { error: /Too many requests from your address: at most 3 per minute\. Please wait \d+ s/ })
  for (let i = 0; i < 5; i++) t.equal((await app.inject({ url: '/health' })).statusCode, 200, '/health is never limited')
  t.match((await app.inject({ url: '/metrics' })).body, /jelly_refused_messages_total\{reason="rate_limit_http",transport="rest"\} 1/, 'counted in metrics')
})
