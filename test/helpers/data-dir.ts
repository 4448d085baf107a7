// A fresh embedded database costs seconds of initdb; opening a copy of an
// initialised one costs a fraction. Tests copy the template the server itself
// copies for a new DATA_DIR (db/embedded-template.ts), made once per PGlite version.
import { cp, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rmSync } from 'node:fs'
import { prepareTemplate } from '../../db/embedded-template.ts'
import { TEST_DATABASE_URL, createTestDatabase } from './test-database.ts'

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
  await cp(await prepareTemplate(), join(dataDir, 'pgdata'), { recursive: true })
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
  await cp(template, join(dataDir, 'pgdata'), { recursive: true })
  return dataDir
}
