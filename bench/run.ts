// `npm run bench`: every benchmark in turn, each in its own process so one
// cannot warm up or slow down another. They print their own numbers.
import { spawnSync } from 'node:child_process'

const BENCHMARKS = ['bench/versus-relay.ts', 'bench/agent-loop.ts', 'bench/knowledge.ts']

let failed = false
for (const file of BENCHMARKS) {
  console.log(`\n# ${file}`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' })
  failed ||= result.status !== 0
}
process.exit(failed ? 1 : 0)
