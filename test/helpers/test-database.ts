// The tests' choice of database. Without TEST_DATABASE_URL every test gets an
// embedded PGlite in a temp folder. With it (a PostgreSQL server with pgvector,
// e.g. from test/postgres/up.sh, possibly behind pgbouncer), every test gets a
// fresh database created on that server instead, dropped when the test file ends
// (unless something of the file still holds a connection to it then: it is left
// to the throwaway cluster rather than cut off under a closing pool).
import t from 'tap'
import postgres from 'postgres'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || undefined

let admin: postgres.Sql | undefined
let counter = 0
const created: string[] = []

/** A new empty database on the TEST_DATABASE_URL server; its URL. */
export async function createTestDatabase(): Promise<string> {
  if (!TEST_DATABASE_URL) throw new Error('createTestDatabase needs TEST_DATABASE_URL')
  if (!admin) {
    admin = postgres(TEST_DATABASE_URL.replace(/([?&])pgbouncer=true&?/, '$1').replace(/[?&]$/, ''), { max: 1, prepare: false, onnotice: () => undefined })
    t.teardown(dropAll)
  }
  const name = `jelly_test_${process.pid}_${++counter}`
  // template0 has no connections, so test files can copy it at the same time.
  await admin.unsafe(`create database ${name} template template0`)
  created.push(name)
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${name}`
  return url.toString()
}

async function dropAll(): Promise<void> {
  const sql = admin!
  admin = undefined
  for (const name of created.splice(0)) await sql.unsafe(`drop database if exists ${name}`).catch(() => undefined)
  await sql.end({ timeout: 5 })
}
