// A fresh embedded database costs seconds of initdb; opening a copy of an
// initialised one costs a fraction. Tests copy a template made once per machine.
import { cp, mkdtemp, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync, rmSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { TEST_DATABASE_URL, createTestDatabase } from './test-database.ts'

const project = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
const pgliteVersion = project.dependencies['@electric-sql/pglite']
const TEMPLATE = join(tmpdir(), `jelly-pgdata-template-${pgliteVersion}`)

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
  await ensureTemplate()
  await cp(TEMPLATE, join(dataDir, 'pgdata'), { recursive: true })
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
  await ensureTemplate()
  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-test-'))
  created.push(dataDir)
  await cp(TEMPLATE, join(dataDir, 'pgdata'), { recursive: true })
  return dataDir
}

async function ensureTemplate(): Promise<void> {
  if (await exists(TEMPLATE)) return
  // Test files run in parallel: each builds its own and the first rename wins.
  const building = await mkdtemp(`${TEMPLATE}-building-`)
  const db = await PGlite.create(join(building, 'pgdata'), { extensions: { vector } })
  await db.close()
  await rename(join(building, 'pgdata'), TEMPLATE).catch(async (error: NodeJS.ErrnoException) => {
    if (!(await exists(TEMPLATE))) throw error
  })
  await rm(building, { recursive: true, force: true })
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}
