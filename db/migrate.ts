// Applies migrations/*.sql in name order, each once and in its own transaction.
// Every transaction takes the same advisory lock and re-checks the ledger, so
// instances that start together take turns instead of applying a file twice.
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Sql } from './connect.ts'

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url))
const LOCK_ID = 4_242_001

export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()
  // One read on an up-to-date database, the usual case at start; only files not in the ledger take the lock.
  const done = await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_ID})`
    await tx`create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())`
    return new Set((await tx`select name from schema_migrations`).map((row) => row.name as string))
  })
  const applied: string[] = []
  for (const name of files.filter((file) => !done.has(file))) {
    const text = await readFile(`${dir}/${name}`, 'utf8')
    const ran = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LOCK_ID})`
      const [done] = await tx`select 1 from schema_migrations where name = ${name}`
      if (done) return false
      await tx.unsafe(text)
      await tx`insert into schema_migrations (name) values (${name})`
      return true
    })
    if (ran) applied.push(name)
  }
  return applied
}
