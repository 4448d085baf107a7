// `npm run bench`: every benchmark in turn, each in its own process so one
// cannot warm up or slow down another. They print their own numbers.
import { spawnSync } from 'node:child_process'

// The agent loop on both backends: the embedded PGlite and a throwaway PostgreSQL 15.
const BENCHMARKS = [['bench/versus-relay.ts'], ['bench/agent-loop.ts', '--backend=embedded'], ['bench/agent-loop.ts', '--backend=postgres'], ['bench/knowledge.ts']]

let failed = false
for (const [file, ...args] of BENCHMARKS) {
  console.log(`\n# ${[file, ...args].join(' ')}`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit' })
  failed ||= result.status !== 0
}
process.exit(failed ? 1 : 0)
