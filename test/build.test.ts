// Production runs compiled JavaScript with plain node (no TypeScript loader):
// `npm run build` emits dist/, and dist/server/main.js finds its worker thread
// and the migrations, answers, and drains on SIGTERM like the loader-run server.
import t from 'tap'
import { existsSync } from 'node:fs'
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
