// Production runs compiled JavaScript with plain node (no TypeScript loader):
// `npm run build` emits dist/, and dist/server/main.js finds its worker thread
// and the migrations, answers, and drains on SIGTERM like the loader-run server.
import t from 'tap'
import { existsSync, readFileSync, statSync, utimesSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freshDataDir } from './helpers/data-dir.ts'
import { postJson } from './helpers/client.ts'
import { ROOT, runProcess as run } from './helpers/process.ts'

t.test('npm run build, then node dist/server/main.js serves and stops cleanly', async (t) => {
  const build = run('npm', ['run', 'build', '--silent'])
  const built = await build.closed
  t.same(built, { code: 0, signal: null }, `the build succeeds: ${build.stderr()}${build.stdout()}`)
  t.ok(existsSync(join(ROOT, 'dist/db/embedded-worker.mjs')), 'the worker thread file is next to the compiled code')
  t.ok(existsSync(join(ROOT, 'dist/migrations/001_chat.sql')), 'so are the migrations')
  t.ok(existsSync(join(ROOT, 'dist/public/index.html')), 'and the chat page')

  const dataDir = await freshDataDir()
  const server = run(process.execPath, ['dist/server/main.js'], { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', OCEAN_URL: 'http://127.0.0.1:9', ADMIN_OPEN: 'true' })
  t.teardown(() => void server.child.kill('SIGKILL'))
  const port = await server.listening(60_000)
  const url = `http://127.0.0.1:${port}`
  t.equal((await fetch(`${url}/ready`)).status, 200, 'the embedded database (worker thread) answers')
  const reply = await postJson(`${url}/user_message`, { user_token: 'compiled', message: 'What is 20000 divided by 33.3?' })
  t.match(reply, { status: 200, body: { response: '20000 / 33.3 = 600.600600601 🧮' } }, 'migrated and answering')
  t.equal((await fetch(`${url}/`)).status, 200, 'the chat page is served')

  server.child.kill('SIGTERM')
  server.child.kill('SIGTERM')
  t.same(await server.closed, { code: 0, signal: null }, 'exits 0 on SIGTERM, even when it comes twice')
  const messages = server
    .stdout()
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { msg: string }).msg)
  t.equal(messages.at(-1), 'stopped', 'the last line is "stopped"')
  t.notOk(existsSync(join(dataDir, 'jelly.lock')), 'the data-folder lock is released')
})

const isBuilt = async () => {
  const check = run(process.execPath, ['-e', "import('./scripts/build.mjs').then((build) => console.log(build.isBuilt()))"])
  await check.closed
  return check.stdout().trim()
}

t.test('npm start skips the build while nothing changed, and a fresh data folder is a copy of the template', async (t) => {
  const build = run('npm', ['run', 'build', '--silent'])
  t.same(await build.closed, { code: 0, signal: null }, `the build succeeds: ${build.stderr()}`)
  const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }
  t.ok(existsSync(join(ROOT, `dist/pgdata-template/pglite-${version}/PG_VERSION`)), 'the build made the initdb template for the installed PGlite')
  t.equal(await isBuilt(), 'true', 'right after a build, npm start has nothing to build')
  const stamp = join(ROOT, 'dist/.build-stamp')
  const builtAt = statSync(stamp).mtime
  utimesSync(stamp, new Date(0), new Date(0))
  t.equal(await isBuilt(), 'false', 'a source newer than the last build makes npm start build')
  utimesSync(stamp, builtAt, builtAt)

  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-npm-start-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const server = run('npm', ['start', '--silent'], { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', OCEAN_URL: 'http://127.0.0.1:9' })
  t.teardown(() => void server.child.kill('SIGKILL'))
  const port = await server.listening(60_000)
  t.equal((await fetch(`http://127.0.0.1:${port}/ready`)).status, 200)
  const reply = await postJson(`http://127.0.0.1:${port}/user_message`, { user_token: 'npm-start', message: 'What is 20000 divided by 33.3?' })
  t.match(reply, { status: 200, body: { response: '20000 / 33.3 = 600.600600601 🧮' } }, 'the copy is migrated and answers')
  t.ok(existsSync(join(dataDir, 'pgdata', 'PG_VERSION')) && !existsSync(join(dataDir, 'pgdata.partial')), 'the database folder is in place, no temporary one left')
  // The server is npm's grandchild (npm, sh, node): the signal goes to it, as a container's would.
  const { pid } = JSON.parse(
    server
      .stdout()
      .split('\n')
      .find((line) => line.includes('"Jelly is listening"'))!,
  ) as { pid: number }
  process.kill(pid, 'SIGTERM')
  t.same(await server.closed, { code: 0, signal: null }, 'npm start exits 0 once the server drained')
  t.notOk(existsSync(join(dataDir, 'jelly.lock')), 'the data-folder lock is released')
})
