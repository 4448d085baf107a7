// DATABASE_URL done right: configuration, pool size, timeouts, TLS, transaction
// poolers (no prepared statements), one clear line when the database cannot be
// reached, and the password never in a log line or an error.
import t from 'tap'
import { connectDatabase, isTransactionPoolerUrl } from '../db/connect.ts'
import { loadConfig } from '../server/config.ts'
import { runUntilExit, spawnServer } from './helpers/child-server.ts'
import { postJson } from './helpers/client.ts'
import { databaseUrlFor, freshDataDir } from './helpers/data-dir.ts'
import { TEST_DATABASE_URL } from './helpers/test-database.ts'

const needsPostgres = TEST_DATABASE_URL ? false : 'needs a PostgreSQL server (TEST_DATABASE_URL, e.g. npm run test:postgres)'
const throughPooler = TEST_DATABASE_URL && isTransactionPoolerUrl(new URL(TEST_DATABASE_URL))
const needsDirect = needsPostgres || (throughPooler ? 'needs a direct connection: the pooler has its own TLS, pool and parameters' : false)

t.test('configuration: pool, timeouts and pooler mode, with clear errors that never echo the URL', async (t) => {
  const defaults = loadConfig({})
  t.match(defaults, { databasePoolMax: 10, databaseConnectTimeoutMs: 10_000, databaseStatementTimeoutMs: 30_000, databasePooler: undefined, turnQueueTimeoutMs: 30_000 })
  t.match(loadConfig({ DATABASE_POOL_MAX: '3', DATABASE_POOLER: 'transaction' }), { databasePoolMax: 3, databasePooler: 'transaction' })
  t.equal(loadConfig({ DATABASE_POOLER: 'session' }).databasePooler, 'direct', 'a session pooler behaves like a direct connection')
  t.throws(() => loadConfig({ DATABASE_POOL_MAX: '0' }), /DATABASE_POOL_MAX must be a whole number from 1/)
  t.throws(() => loadConfig({ DATABASE_POOLER: 'statement' }), /DATABASE_POOLER must be one of transaction, session, direct/)
  t.throws(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/app' }), /DATABASE_URL must start with postgres:\/\//)
  try {
    loadConfig({ DATABASE_URL: 'not a url hunter2' })
    t.fail('a malformed DATABASE_URL is refused')
  } catch (error) {
    t.match((error as Error).message, /^DATABASE_URL must be a URL/)
    t.notMatch((error as Error).message, /hunter2/, 'the value (maybe a password) is not echoed')
  }
})

t.test('transaction poolers are recognised from the URL', async (t) => {
  t.ok(isTransactionPoolerUrl(new URL('postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres')), "Supavisor's transaction port")
  t.ok(isTransactionPoolerUrl(new URL('postgres://u:p@bouncer:6432/app?pgbouncer=true')), 'pgbouncer=true')
  t.notOk(isTransactionPoolerUrl(new URL('postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres')), "Supavisor's session port")
  t.notOk(isTransactionPoolerUrl(new URL('postgres://u:p@db.abc.supabase.co:5432/postgres')), 'a direct connection')
})

t.test('an unreachable database at start: one line naming host and port, without the password', async (t) => {
  const run = await runUntilExit({ DATABASE_URL: 'postgres://jelly:hunter2-secret@127.0.0.1:9/app', DATABASE_CONNECT_TIMEOUT_MS: '2000' })
  t.not(run.code, 0, 'exits non-zero')
  const lines = (run.stdout + run.stderr).trim().split('\n')
  t.equal(lines.length, 1, `one line: ${lines.join(' | ')}`)
  t.match(JSON.parse(lines[0]).msg, /^Jelly could not start: the database at 127\.0\.0\.1:9\/app cannot be reached: connection refused$/)
  t.notMatch(run.stdout + run.stderr, /hunter2/, 'no password')
  t.notMatch(run.stdout + run.stderr, /\n\s+at /, 'no stack trace')
})

t.test('the password never appears in the logs of a server on a real database, even at debug', { skip: needsPostgres }, async (t) => {
  const dataDir = await freshDataDir()
  const databaseUrl = databaseUrlFor(dataDir)!
  const password = decodeURIComponent(new URL(databaseUrl).password)
  t.ok(password.length >= 8, 'the test database has a password')
  const server = await spawnServer(t, { DATA_DIR: dataDir, LOG_LEVEL: 'debug' })
  t.equal((await postJson(`${server.url}/user_message`, { user_token: 'pw', message: 'what is 1 plus 1?' })).status, 200)
  await server.stop()
  const output = server.stdout() + server.stderr()
  const listening = output.split('\n').find((line) => line.includes('"Jelly is listening"'))!
  t.match(JSON.parse(listening).database, /^127\.0\.0\.1:\d+\/jelly_test_/, 'the log names host, port and database')
  if (throughPooler) t.match(JSON.parse(listening), { pooler: 'transaction' }, 'and says it is behind a transaction pooler')
  t.notOk(output.includes(password), 'the password is in no log line')
})

t.test('a direct connection: TLS when the URL asks, a bounded pool, a statement timeout, prepared statements', { skip: needsDirect }, async (t) => {
  const { dataDir, url } = await freshDataDir().then((dataDir) => ({ dataDir, url: databaseUrlFor(dataDir)! }))
  const tls = await connectDatabase({ dataDir, databaseUrl: `${url}?sslmode=require` })
  t.teardown(() => tls.close())
  const [{ ssl }] = await tls.sql`select ssl from pg_stat_ssl where pid = pg_backend_pid()`
  t.equal(ssl, true, 'sslmode=require: the connection is encrypted')

  const pooled = await connectDatabase({ dataDir, databaseUrl: url, databasePoolMax: 2, databaseStatementTimeoutMs: 1000 })
  t.teardown(() => pooled.close())
  await Promise.all(Array.from({ length: 6 }, () => pooled.sql`select pg_sleep(0.05)`))
  const [{ connections }] = await tls.sql`
    select count(*)::int as connections from pg_stat_activity
    where datname = current_database() and application_name = 'jellychat' and pid <> pg_backend_pid()`
  t.equal(connections, 2, 'six queries at once use DATABASE_POOL_MAX=2 connections')
  await t.rejects(pooled.sql`select pg_sleep(3)`, { code: '57014' }, 'a statement longer than DATABASE_STATEMENT_TIMEOUT_MS is cancelled by the server')
  await pooled.sql`select 1 as again`
  const [{ prepared }] = await pooled.sql`select count(*)::int as prepared from pg_prepared_statements`
  t.ok(prepared > 0, 'a direct connection prepares its statements')
})

t.test('DATABASE_POOLER=transaction: no prepared statements, no session state', { skip: needsPostgres }, async (t) => {
  const dataDir = await freshDataDir()
  const db = await connectDatabase({ dataDir, databaseUrl: databaseUrlFor(dataDir), databasePooler: 'transaction', databasePoolMax: 1 })
  t.teardown(() => db.close())
  t.equal(db.transactionPooler, true)
  for (let i = 0; i < 3; i++) await db.sql`select ${i}::int as n`
  const [{ prepared }] = await db.sql`select count(*)::int as prepared from pg_prepared_statements`
  t.equal(prepared, 0, 'nothing is prepared on the server connection')
})
