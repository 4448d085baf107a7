// `npm run build`, and `npm start` when a source changed: compile to dist/
// (tsc -b, incremental), copy the folders the compiled code reads as the sources
// do (dist/db/migrate.js reads ../migrations, dist/server/routes/page.js
// ../../public, dist/server/app.js ../package.json for the API version), and
// prepare the embedded database's initdb template (db/embedded-template.ts).
import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const STAMP = join(ROOT, 'dist/.build-stamp')
const ASSETS = ['migrations', 'public']
const INPUTS = ['server', 'agent', 'tools', 'knowledge', 'db', 'lib', ...ASSETS, 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']

export async function build() {
  // Dated when the build began: a file saved while it ran is newer, so the next start builds again.
  const began = new Date()
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const compiled = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' })
  if (compiled.status !== 0) throw new Error(`tsc -b tsconfig.build.json failed (exit ${compiled.status ?? compiled.signal})`)
  for (const folder of ASSETS) {
    rmSync(join(ROOT, 'dist', folder), { recursive: true, force: true })
    cpSync(join(ROOT, folder), join(ROOT, 'dist', folder), { recursive: true })
  }
  copyFileSync(join(ROOT, 'package.json'), join(ROOT, 'dist/package.json'))
  const { prepareTemplate } = await import('../dist/db/embedded-template.js')
  await prepareTemplate()
  writeFileSync(STAMP, '')
  utimesSync(STAMP, began, began)
}

/**
 * Whether the last build is newer than every file it is made from. `npm start`
 * then skips it: loading the TypeScript compiler only to hear that nothing
 * changed costs a third of a second.
 */
export function isBuilt() {
  const built = mtime(STAMP)
  return built !== undefined && INPUTS.every((input) => newest(join(ROOT, input)) <= built)
}

function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false })
  if (!stat) return 0
  if (!stat.isDirectory()) return stat.mtimeMs
  // A folder's own time changes when an entry is added, removed or renamed.
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))))
}

function mtime(path) {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build()
