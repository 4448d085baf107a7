// postgres.js fetches array types as a new connection's first statement and
// drops that promise, so a connection reset during it ends the process with an
// unhandled rejection (porsager/postgres#1192). Only the first connection may
// fetch them; the others must still read and write arrays. A TCP proxy in front
// of the real server resets every later connection that sends the fetch.
import t from 'tap'
import net from 'node:net'
import { connectDatabase } from '../db/connect.ts'
import { createTestDatabase, TEST_DATABASE_URL } from './helpers/test-database.ts'

const needsPostgres = TEST_DATABASE_URL ? false : 'needs a PostgreSQL server (TEST_DATABASE_URL, e.g. npm run test:postgres)'
const TYPES_QUERY = 'from pg_catalog.pg_type a'

t.test('only the first connection fetches array types; later ones read and write arrays without it', { skip: needsPostgres }, async (t) => {
  const target = new URL(await createTestDatabase())
  let connections = 0
  let fetches = 0
  let resets = 0
  const proxy = net.createServer((client) => {
    const index = connections++
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    upstream.pipe(client)
    client.on('data', (data) => {
      if (data.includes(TYPES_QUERY)) {
        fetches++
        if (index > 0) {
          resets++
          upstream.destroy()
          return client.resetAndDestroy()
        }
      }
      upstream.write(data)
    })
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => proxy.close(resolve)))
  const viaProxy = new URL(target)
  viaProxy.host = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`

  const db = await connectDatabase({ databaseUrl: viaProxy.toString(), dataDir: '', databasePoolMax: 4 })
  t.teardown(() => db.close())
  // Four statements at once: the pool opens three more connections.
  const rows = await Promise.all(
    [1, 2, 3, 4].map((n) => db.sql<{ xs: number[]; words: string[] }[]>`select ${db.sql.array([n, n + 1])}::int[] as xs, array['a', 'b'] as words, pg_sleep(0.1)`),
  )
  t.ok(connections >= 4, `${connections} connections opened`)
  t.equal(fetches, 1, 'the array types were fetched once, by the first connection')
  t.equal(resets, 0, 'no connection was reset')
  t.same(
    rows.map(([row]) => [row.xs, row.words]),
    [1, 2, 3, 4].map((n) => [
      [n, n + 1],
      ['a', 'b'],
    ]),
    'arrays sent and read back on every connection',
  )
})
