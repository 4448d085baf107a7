// A first start on an empty DATA_DIR used to run initdb in the server, which left
// ~500 MB of WebAssembly memory resident (838 MB idle against 310 MB after a
// restart). The folder is now a copy of the initdb template (made by a worker
// that exits), PGlite's shared_buffers is 16 MB, and what only ingestion, MCP, the
// LLM or Ocean use loads on first use: about 265 MB here, through the tsx loader.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runProcess } from './helpers/process.ts'

t.test('a first start on an empty data folder does not keep initdb memory', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-initdb-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  // Not child-server.ts: initdb on a busy machine can take longer than its 20 s.
  const env = { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', OCEAN_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'info' }
  const server = runProcess(process.execPath, ['--import', 'tsx', 'server/main.ts'], env)
  t.teardown(() => void server.child.kill('SIGKILL'))
  const port = await server.listening(90_000)
  t.equal((await fetch(`http://127.0.0.1:${port}/ready`)).status, 200)
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) / 1024
  t.ok(rssMb < 380, `resident memory after start: ${Math.round(rssMb)} MB`)
  server.child.kill('SIGTERM')
  t.same(await server.closed, { code: 0, signal: null })
})
