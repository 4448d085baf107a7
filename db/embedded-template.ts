// A new embedded database needs initdb: seconds of WebAssembly on every fresh
// DATA_DIR (and every test database). initdb's output depends only on the PGlite
// build, so it runs once per PGlite version (at `npm run build`, or on the first
// new folder) into a template folder, and a new data folder is a copy of it.
// Migrations still run on the copy, as on any new database.
import { constants } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

/** Next to the code: dist/pgdata-template when compiled, ./pgdata-template from the sources. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../pgdata-template/', import.meta.url))

const pgliteVersion = await readPgliteVersion()

/** The template for the installed PGlite: a folder exists there only once initdb has completed into it. */
export function templatePath(templatesDir = TEMPLATES_DIR): string {
  return join(templatesDir, `pglite-${pgliteVersion}`)
}

/** Makes the template for the installed PGlite unless it is there; safe to run from several processes at once. */
export async function prepareTemplate(templatesDir = TEMPLATES_DIR): Promise<string> {
  const template = templatePath(templatesDir)
  await buildOnce(template, initdb)
  return template
}

/**
 * Makes the database folder `target` with `build` unless it exists: built in a
 * temporary folder beside it and renamed into place, so it exists only once
 * complete. Several processes may build at once: the first rename wins, the
 * others' copies are dropped.
 */
export async function buildOnce(target: string, build: (pgdata: string) => Promise<void>): Promise<void> {
  if (await exists(target)) return
  await mkdir(dirname(target), { recursive: true })
  const building = await mkdtemp(`${target}.building-`)
  try {
    await build(join(building, 'pgdata'))
    await rename(join(building, 'pgdata'), target).catch(async (error: NodeJS.ErrnoException) => {
      if (!(await exists(target))) throw error
    })
  } finally {
    await rm(building, { recursive: true, force: true })
  }
}

/**
 * Creates the database folder `pgdata` (which must not exist) as a copy of the
 * template, made first if it is missing; where the template cannot be written
 * (a read-only install), by initdb. It is made under a temporary name and
 * renamed into place, so a crash part-way leaves no half-made database behind,
 * only the temporary folder, which the next call removes. The caller holds the DATA_DIR lock.
 */
export async function createPgdata(pgdata: string, templatesDir = TEMPLATES_DIR): Promise<'template' | 'initdb'> {
  const partial = `${pgdata}.partial`
  await rm(partial, { recursive: true, force: true })
  const template = await prepareTemplate(templatesDir).catch(() => undefined)
  // A copy-on-write clone where the file system has them, a plain copy elsewhere.
  if (template) await cp(template, partial, { recursive: true, mode: constants.COPYFILE_FICLONE })
  else await initdb(partial)
  await rename(partial, pgdata)
  return template ? 'template' : 'initdb'
}

// In a worker that exits: initdb leaves a few hundred MB of WebAssembly memory
// behind in its thread (about 780 MB RSS against 330 MB).
async function initdb(pgdata: string): Promise<void> {
  const worker = new Worker(new URL('./embedded-worker.mjs', import.meta.url), { workerData: { pgdata, createOnly: true } })
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (message: { created?: boolean; error?: string }) => {
        if (message.created) resolve()
        else reject(new Error(`the embedded database could not be created: ${String(message.error)}`))
      })
      worker.once('error', reject)
    })
  } finally {
    await worker.terminate()
  }
}

async function readPgliteVersion(): Promise<string> {
  // Its package.json is not in its exports; it sits above the resolved entry point (dist/index.cjs).
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  const manifest = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }
  return manifest.version
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}
