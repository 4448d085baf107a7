// The embedded database: PGlite (Postgres compiled to WebAssembly) with pgvector,
// served over the Postgres wire protocol on a private Unix socket so the rest of
// the code talks to it through postgres.js exactly as it talks to a real server.
import { mkdtemp, mkdir, rm, open, readFile, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

export interface EmbeddedPostgres {
  socketPath: string
  stop(): Promise<void>
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = resolve(dataDir)
  await mkdir(dir, { recursive: true })
  const releaseLock = await lockDataDir(dir)
  try {
    const db = await PGlite.create(join(dir, 'pgdata'), { extensions: { vector } })
    // A private 0700 folder keeps the socket away from other local users; its
    // short path stays under the 108-byte limit for Unix socket names.
    const socketDir = await mkdtemp(join(tmpdir(), 'jelly-pg-'))
    const socketPath = join(socketDir, '.s.PGSQL.5432')
    const server = new PGLiteSocketServer({ db, path: socketPath })
    await server.start()
    return {
      socketPath,
      async stop() {
        await server.stop()
        await db.close()
        await rm(socketDir, { recursive: true, force: true })
        await releaseLock()
      },
    }
  } catch (error) {
    await releaseLock()
    throw error
  }
}

// PGlite is a single-process database: a second process on the same files would
// corrupt them, so the data folder is claimed with a pid file.
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lockPath = join(dir, 'jelly.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return () => unlink(lockPath).catch(() => undefined)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = Number(await readFile(lockPath, 'utf8').catch(() => ''))
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new Error(`DATA_DIR ${dir} is in use by process ${owner}; stop it or choose another DATA_DIR`)
      }
      await unlink(lockPath).catch(() => undefined)
    }
  }
  throw new Error(`could not lock DATA_DIR ${dir}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
