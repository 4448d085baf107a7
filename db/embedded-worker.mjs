// Runs in a worker thread: PGlite executes SQL on the thread that loads it, so
// it gets a thread of its own and serves the wire protocol from there; the
// chat path's event loop stays free for sockets and the LLM stream.
// Plain JavaScript because worker threads do not inherit the TypeScript loader.
import { setFlagsFromString } from 'node:v8'
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

// PGlite is the process's only WebAssembly. Optimising its 9 MB of code in the
// background (V8's tier-up) costs more CPU than it saves on two cores and holds
// ~60 MB more code: measured, baseline-compiled PGlite starts in ~1.1-1.4 s
// instead of 1.6-2.3 s and ran 3,000 inserts 2-3x faster. Read at compile time,
// so setting it here, before PGlite.create(), is enough.
setFlagsFromString('--liftoff-only')

const { pgdata, socketPath, createOnly } = workerData
// PGlite touches all of shared_buffers at start, and it is most of the
// server's memory (128 MB by default). The file system's page cache sits behind
// it, so a smaller one costs a read from the cache, not the disk: measured with
// the wiki ingested (24 MB database), 16 MB against 64 MB left wiki search at
// ~5-6 ms CPU (p50 ~5 ms) and cut ~60 MB RSS.
const SETTINGS = ['shared_buffers = 16MB']

try {
  const db = await PGlite.create(pgdata, { extensions: { vector }, postgresqlconf: SETTINGS })
  if (createOnly) {
    await db.close()
    parentPort.postMessage({ created: true })
  } else {
    const server = new PGLiteSocketServer({ db, path: socketPath })
    await server.start()
    parentPort.on('message', async (message) => {
      if (message !== 'stop') return
      await server.stop()
      await db.close()
      parentPort.postMessage({ stopped: true })
      parentPort.close()
    })
    parentPort.postMessage({ ready: true })
  }
} catch (error) {
  parentPort.postMessage({ error: error.message })
}
