// A fresh embedded database costs seconds of initdb; opening a copy of an
// initialised one costs a fraction. Tests copy the template the server itself
// copies for a new DATA_DIR (db/embedded-template.ts), made once per PGlite
// version, and servers a second one that already has the project's migrations.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { buildOnce, prepareTemplate, templatePath } from '../../db/embedded-template.ts'
import { connectDatabase } from '../../db/connect.ts'
import { migrate } from '../../db/migrate.ts'
import { TEST_DATABASE_URL, createTestDatabase } from './test-database.ts'

// Named after the initdb template (its PGlite version) and the migrations' contents: a new or edited migration makes a new one.
const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url))
const migratedHash = createHash('sha256').update(templatePath())
for (const name of readdirSync(MIGRATIONS).sort()) migratedHash.update(name).update(readFileSync(join(MIGRATIONS, name)))
const MIGRATED_TEMPLATE = join(tmpdir(), `jelly-pgdata-migrated-${migratedHash.digest('hex').slice(0, 16)}`)

// Removed when the test process exits: a later test may restart a server on the same folder.
const created: string[] = []
process.once('exit', () => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

// With TEST_DATABASE_URL, each data folder stands for a database on that
// server: servers started on the same DATA_DIR (a restart) find the same data.
const databases = new Map<string, string>()

export async function freshDataDir(): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-test-'))
  created.push(dataDir)
  if (TEST_DATABASE_URL) {
    databases.set(dataDir, await createTestDatabase())
    return dataDir
  }
  await copyTree(await prepareTemplate(), join(dataDir, 'pgdata'))
  return dataDir
}

/**
 * Like freshDataDir(), with the project's migrations already applied to the
 * embedded database, as a server leaves it (its start then has nothing to apply).
 * Under TEST_DATABASE_URL the database is empty: the server migrates it.
 */
export async function freshMigratedDataDir(): Promise<string> {
  if (TEST_DATABASE_URL) return freshDataDir()
  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-test-'))
  created.push(dataDir)
  await ensureMigratedTemplate()
  await copyTree(MIGRATED_TEMPLATE, join(dataDir, 'pgdata'))
  return dataDir
}

/** A new data folder with a copy of an embedded one that no process holds (e.g. a fixture built once per file). */
export async function copyOfEmbeddedDataDir(source: string): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-test-'))
  created.push(dataDir)
  await copyTree(join(source, 'pgdata'), join(dataDir, 'pgdata'))
  return dataDir
}

/** The DATABASE_URL that stands for a data folder from freshDataDir() (undefined: the embedded database). */
export function databaseUrlFor(dataDir: string): string | undefined {
  return databases.get(dataDir)
}

/** Options for connectDatabase(): a fresh database of the backend under test. */
export async function freshDatabase(): Promise<{ dataDir: string; databaseUrl?: string }> {
  const dataDir = await freshDataDir()
  return { dataDir, databaseUrl: databaseUrlFor(dataDir) }
}

/** Options for connectDatabase() on an embedded data folder, for what only PGlite has. */
export async function freshEmbeddedDataDir(): Promise<string> {
  const template = await prepareTemplate()
  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-test-'))
  created.push(dataDir)
  await copyTree(template, join(dataDir, 'pgdata'))
  return dataDir
}

async function ensureMigratedTemplate(): Promise<void> {
  const template = await prepareTemplate()
  // Test files run in parallel: each may build its own, and the first one done wins.
  await buildOnce(MIGRATED_TEMPLATE, async (pgdata) => {
    await copyTree(template, pgdata)
    const db = await connectDatabase({ dataDir: join(pgdata, '..') })
    try {
      await migrate(db.sql)
    } finally {
      await db.close()
    }
  })
}

// A thousand small files: cp(1) copies them in a tenth of the time fs.cp takes.
async function copyTree(from: string, to: string): Promise<void> {
  await promisify(execFile)('cp', ['-R', from, to])
}
