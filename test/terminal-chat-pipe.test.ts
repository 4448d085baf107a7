// `npm run chat` through a pipe, as a script would use it: only the answers,
// one per input line, errors on stderr with the exit code; the conversation is
// kept between runs, the database released, a server's DATA_DIR left alone.
import t from 'tap'
import { freshMigratedDataDir } from './helpers/data-dir.ts'
import { withTestDatabase } from './helpers/server.ts'
import { buildTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'
import { TEST_DATABASE_URL } from './helpers/test-database.ts'
import { isLocked, keptToken, runPiped } from './helpers/terminal.ts'

t.test('in a pipe: only the answers, one per line; the conversation is kept and the database released', async (t) => {
  const dataDir = await freshMigratedDataDir()
  // The same database the server below gets (under TEST_DATABASE_URL, the one that stands for dataDir).
  const env = withTestDatabase(dataDir, { DATA_DIR: dataDir })
  const run = await runPiped('what is 2+2\n\n15% of 2000\n', env)
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, '2+2 = 4 🧮\n15 / 100 * 2000 = 300 🧮\n', 'nothing but the answers')
  t.equal(run.stderr, '', 'no logs, no prompt')
  t.notOk(isLocked(dataDir), 'the lock file is gone')

  const again = await runPiped('what is 3*3\n', env, [], { npm: true })
  t.equal(again.code, 0, again.stderr)
  t.equal(again.stdout, '3*3 = 9 🧮\n', '`npm run -s chat` prints only the answer too')

  const token = keptToken(dataDir)
  t.match(token, /^terminal-[\w.-]+-[0-9a-f]{16}$/, 'one token for this OS user, kept under DATA_DIR')
  const history = await injector((await buildTestApp(t, { DATA_DIR: dataDir })).app).post('/history', { user_token: token })
  t.same(
    history.body.filter((entry: any) => entry.message_type === 'human').map((entry: any) => [entry.content, entry.application]),
    [
      ['what is 2+2', 'terminal'],
      ['15% of 2000', 'terminal'],
      ['what is 3*3', 'terminal'],
    ],
    'both runs are one conversation, stored like any other',
  )
})

t.test('in a pipe: a refused message is said on stderr and the exit code', async (t) => {
  const run = await runPiped(`${'x'.repeat(11)}\n`, { DATA_DIR: await freshMigratedDataDir(), MAX_MESSAGE_CHARS: '10' }, ['--token', 'pipe-refused'])
  t.equal(run.code, 1)
  t.equal(run.stdout, '')
  t.match(run.stderr, 'message is too long (the limit is 10 characters)')
})

// The data-folder lock belongs to the embedded database (the app holds it while open, listening or not); a real server has none to hold.
t.test('a server holding DATA_DIR: a clear message pointing to --url', { skip: TEST_DATABASE_URL ? 'embedded database only' : false }, async (t) => {
  const server = await buildTestApp(t)
  const run = await runPiped('hi\n', { DATA_DIR: server.dataDir, PORT: '8123' })
  t.equal(run.code, 1)
  t.equal(run.stdout, '')
  t.match(run.stderr, /Jelly's embedded database in .* is in use by process \d+, probably a running server\./)
  t.match(run.stderr, 'npm run chat -- --url http://localhost:8123')
  t.ok(isLocked(server.dataDir), "the server's lock is untouched")
})

t.test('--url to nothing, and bad arguments', async (t) => {
  const nothing = await runPiped('hi\n', { DATA_DIR: await freshMigratedDataDir() }, ['--url', 'http://127.0.0.1:9'])
  t.equal(nothing.code, 1)
  t.match(nothing.stderr, 'Jelly at http://127.0.0.1:9 could not be reached; is the server running?')
  const bad = await runPiped('', {}, ['--url', 'ftp://x'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, '--url must be an http(s) URL, got "ftp://x"')
})
