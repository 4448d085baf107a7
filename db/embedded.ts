// The embedded database: PGlite (Postgres compiled to WebAssembly) with pgvector,
// in a worker thread, served over the Postgres wire protocol on a private Unix
// socket, so the rest of the code talks to it through postgres.js exactly as it
// talks to a real server.
import { existsSync } from 'node:fs'
import { mkdtemp, mkdir, rm, open, readFile, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import { createPgdata } from './embedded-template.ts'

export interface EmbeddedPostgres {
  socketPath: string
  /** How the database folder was made by this start, if it was: from the template or by initdb. */
  created?: 'template' | 'initdb'
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  /** Where the initdb templates are (TEMPLATES_DIR unless a test says otherwise). */
  templatesDir?: string
}

export async function startEmbeddedPostgres(dataDir: string, options: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  const dir = resolve(dataDir)
  await mkdir(dir, { recursive: true })
  const releaseLock = await lockDataDir(dir)
  // A private 0700 folder keeps the socket away from other local users; its
  // short path stays under the 108-byte limit for Unix socket names.
  const socketDir = await mkdtemp(join(tmpdir(), 'jelly-pg-'))
  const socketPath = join(socketDir, '.s.PGSQL.5432')
  const cleanUp = async () => {
    await rm(socketDir, { recursive: true, force: true })
    await releaseLock()
  }
  const pgdata = join(dir, 'pgdata')
  let worker: Worker
  let created: EmbeddedPostgres['created']
  try {
    if (!existsSync(pgdata)) created = await createPgdata(pgdata, options.templatesDir)
    worker = await startWorker(pgdata, socketPath)
  } catch (error) {
    await cleanUp()
    throw error
  }
  return {
    socketPath,
    created,
    async stop() {
      await stopWorker(worker)
      await cleanUp()
    },
  }
}

// The thread's garbage is short-lived protocol buffers: a young generation of
// 12 MB instead of V8's default (which grew to ~24 MB more under the benchmark's
// load) kept about 13 MB of RSS, at no CPU per turn that the benchmark could tell apart.
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 12 }

async function startWorker(pgdata: string, socketPath: string): Promise<Worker> {
  const worker = new Worker(new URL('./embedded-worker.mjs', import.meta.url), { workerData: { pgdata, socketPath }, resourceLimits: WORKER_LIMITS })
  try {
    await nextMessage(worker, 'ready')
    return worker
  } catch (error) {
    await worker.terminate()
    throw error
  }
}

async function stopWorker(worker: Worker): Promise<void> {
  worker.postMessage('stop')
  await nextMessage(worker, 'stopped').catch(() => worker.terminate())
}

function nextMessage(worker: Worker, expected: 'ready' | 'stopped'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>) => {
      worker.off('error', onError)
      if (message[expected]) resolve()
      else reject(new Error(`the embedded database failed: ${String(message.error)}`))
    }
    const onError = (error: Error) => {
      worker.off('message', onMessage)
      reject(error)
    }
    worker.once('message', onMessage).once('error', onError)
  })
}

/** Another process (usually a running server) holds the embedded database's data folder. */
export class DataDirInUseError extends Error {
  readonly dataDir: string
  readonly pid: number
  constructor(dataDir: string, pid: number) {
    super(`DATA_DIR ${dataDir} is in use by process ${pid}; stop it or choose another DATA_DIR`)
    this.dataDir = dataDir
    this.pid = pid
  }
}

// Folders this process holds. A lock file with our own pid that is not in here
// was left by an earlier run (in a container the pid is the same every time).
const heldHere = new Set<string>()

// PGlite is a single-process database: a second process on the same files would
// corrupt them, so the data folder is claimed with a pid file.
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lockPath = join(dir, 'jelly.lock')
  if (heldHere.has(dir)) throw new DataDirInUseError(dir, process.pid)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      heldHere.add(dir)
      return async () => {
        heldHere.delete(dir)
        await unlink(lockPath).catch(() => undefined)
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = Number(await readFile(lockPath, 'utf8').catch(() => ''))
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new DataDirInUseError(dir, owner)
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
