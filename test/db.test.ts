// The migration runner and the embedded database on their own.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import t from 'tap'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { freshDatabase, freshEmbeddedDataDir } from './helpers/data-dir.ts'

t.test('migrations apply in order, once, each in its own transaction', async (t) => {
  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  const dir = await mkdtemp(join(tmpdir(), 'jelly-migrations-'))
  await writeFile(join(dir, '001_a.sql'), 'create table a (id int);')
  await writeFile(join(dir, '002_b.sql'), 'create table b (id int); insert into a values (1);')
  await writeFile(join(dir, '003_broken.sql'), 'create table c (id int); select * from no_such_table;')

  await t.rejects(migrate(db.sql, dir), /no_such_table/, 'a failing migration stops the run')
  const ledger = async () => (await db.sql<{ name: string }[]>`select name from schema_migrations order by name`).map((row) => row.name)
  t.same(await ledger(), ['001_a.sql', '002_b.sql'], 'the good ones before it are recorded')
  const [c] = await db.sql`select to_regclass('c') as c`
  t.equal(c.c, null, 'the failing one left nothing behind')

  await writeFile(join(dir, '003_broken.sql'), 'create table c (id int);')
  t.same(await Promise.all([migrate(db.sql, dir), migrate(db.sql, dir)]).then((runs) => runs.flat()), ['003_broken.sql'], 'two runners at once apply it once')
  t.same(await migrate(db.sql, dir), [], 'a third run has nothing to do')
  const [{ count }] = await db.sql`select count(*)::int as count from a`
  t.equal(count, 1, 'no migration ran twice')
})

t.test('the project migrations create the contract tables', async (t) => {
  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  const applied = await migrate(db.sql)
  t.ok(applied.includes('001_chat.sql'))
  const tables = (await db.sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public'`).map((row) => row.table_name)
  for (const table of ['users', 'chat_messages', 'qa', 'schema_migrations']) t.ok(tables.includes(table), table)
})

// Embedded only: the lock guards PGlite's files, which a server has no need of.
t.test('one process at a time owns an embedded data folder', async (t) => {
  const dataDir = await freshEmbeddedDataDir()
  const first = await connectDatabase({ dataDir })
  await t.rejects(connectDatabase({ dataDir }), /DATA_DIR .* is in use by process \d+/)
  await first.close()
  const again = await connectDatabase({ dataDir })
  t.same(await again.sql`select 1 as one`, [{ one: 1 }], 'free again once the first closed')
  await again.close()
})
