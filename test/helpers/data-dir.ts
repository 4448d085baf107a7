// A fresh embedded database costs seconds of initdb; opening a copy of an
// initialised one costs a fraction. Tests copy a template made once per machine.
import { cp, mkdtemp, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readFileSync, rmSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'

const project = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
const pgliteVersion = project.dependencies['@electric-sql/pglite']
const TEMPLATE = join(tmpdir(), `jelly-pgdata-template-${pgliteVersion}`)

// Removed when the test process exits: a later test may restart a server on the same folder.
const created: string[] = []
process.once('exit', () => created.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

export async function freshDataDir(): Promise<string> {
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
