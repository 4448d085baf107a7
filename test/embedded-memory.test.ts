// A first start on an empty DATA_DIR runs initdb, which used to leave ~500 MB of
// WebAssembly memory resident for the life of the process (838 MB idle against
// 310 MB after a restart). The database is now created by a worker that exits.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnServer } from './helpers/child-server.ts'

t.test('a first start on an empty data folder does not keep initdb memory', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-initdb-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const server = await spawnServer(t, { DATA_DIR: dataDir })
  t.equal((await fetch(`${server.url}/ready`)).status, 200)
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) / 1024
  t.ok(rssMb < 650, `resident memory after start: ${Math.round(rssMb)} MB`)
  t.same(await server.stop(), { code: 0, signal: null })
})
