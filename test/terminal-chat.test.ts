// `npm run chat` driven as a user would: through a pipe (only the answers) and
// in a pseudo-terminal (greeting, tool lines, prompt, Ctrl-C/Ctrl-D), in-process
// on the embedded database, with --debug in offline and LLM mode, and against a
// running server with --url.
import t from 'tap'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { GREETING } from '../server/chat-service.ts'
import { freshDataDir } from './helpers/data-dir.ts'
import { startServer } from './helpers/server.ts'
import { postJson } from './helpers/client.ts'
import { startFakeOpenAI } from './fakes/openai.ts'
import { calculatorModel } from './helpers/llm-scripts.ts'
import { CTRL_C, CTRL_D, runInTerminal, runPiped } from './helpers/terminal.ts'

const tokenFile = (dataDir: string) => {
  const name = readdirSync(dataDir).find((file) => file.startsWith('terminal-token-'))
  return name ? readFileSync(join(dataDir, name), 'utf8').trim() : undefined
}
const locked = (dataDir: string) => existsSync(join(dataDir, 'jelly.lock'))

t.test('in a pipe: only the answers, one per line; the conversation is kept and the database released', async (t) => {
  const dataDir = await freshDataDir()
  const run = await runPiped('what is 2+2\n\n15% of 2000\n', { DATA_DIR: dataDir })
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, '2+2 = 4 🧮\n15 / 100 * 2000 = 300 🧮\n', 'nothing but the answers')
  t.equal(run.stderr, '', 'no logs, no prompt')
  t.notOk(locked(dataDir), 'the lock file is gone')

  const again = await runPiped('what is 3*3\n', { DATA_DIR: dataDir }, [], { npm: true })
  t.equal(again.code, 0, again.stderr)
  t.equal(again.stdout, '3*3 = 9 🧮\n', '`npm run -s chat` prints only the answer too')

  const token = tokenFile(dataDir)
  t.match(token, /^terminal-[\w.-]+-[0-9a-f]{16}$/, 'one token for this OS user, kept under DATA_DIR')
  const server = await startServer(t, { DATA_DIR: dataDir })
  const history = await postJson(`${server.url}/history`, { user_token: token })
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
  const run = await runPiped(`${'x'.repeat(11)}\n`, { DATA_DIR: await freshDataDir(), MAX_MESSAGE_CHARS: '10' }, ['--token', 'pipe-refused'])
  t.equal(run.code, 1)
  t.equal(run.stdout, '')
  t.match(run.stderr, 'message is too long (the limit is 10 characters)')
})

t.test('in a terminal: greeting, tool line, streamed answer, debug lines; Ctrl-D and Ctrl-C leave cleanly', async (t) => {
  const dataDir = await freshDataDir()
  const term = runInTerminal(t, { DATA_DIR: dataDir }, ['--debug', '--token', 'pty-user'])
  await term.waitFor(/you › $/)
  t.match(term.screen(), /🪼 Jelly · offline mode, embedded database in .* · Ctrl-D or Ctrl-C to leave\n/)
  t.match(term.screen(), `Jelly: ${GREETING}`, 'the greeting first')
  const mark = term.screen().length
  term.type('what is 2+2\r')
  await term.waitFor(/Jelly: 2\+2 = 4 🧮\nyou › $/, { from: mark })
  const turn = term.screen().slice(mark)
  t.match(turn, '[debug] offline planner: calculator {"expression":"2+2"}', "the planner's choice")
  t.match(turn, '[debug] tool result calculator (ok): {"expression":"2+2","result":4,"formatted":"4"}', 'the tool result')
  t.ok(turn.indexOf("  Let's do the math together 🧮") < turn.indexOf('Jelly: 2+2'), 'the tool line before the answer')
  term.type(CTRL_D)
  t.same(await term.exited, { code: 0, signal: null }, 'Ctrl-D leaves with exit code 0')
  t.match(term.screen(), /Bye 🪼🌊\n$/)
  t.notOk(locked(dataDir), 'the lock file is gone')

  const second = runInTerminal(t, { DATA_DIR: dataDir }, ['--token', 'pty-user'])
  await second.waitFor(/you › $/)
  t.match(second.screen(), '(continuing your conversation: 1 earlier message)\nyou › what is 2+2\nJelly: 2+2 = 4 🧮\n', 'the last exchange, on return')
  second.type(CTRL_C)
  t.same(await second.exited, { code: 0, signal: null }, 'Ctrl-C leaves with exit code 0')
  t.notOk(locked(dataDir), 'the lock file is gone')
})

t.test('LLM mode with --debug: each request with its messages, the tool call and result; Ctrl-C mid-answer waits for it', async (t) => {
  const model = calculatorModel()
  const llm = await startFakeOpenAI(model.script)
  t.teardown(() => llm.close())
  const env = { DATA_DIR: await freshDataDir(), OPENAI_BASE_URL: llm.url }

  const run = await runPiped('what is 2+2\n', env, ['--debug', '--token', 'llm-user'])
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, 'The answer is 4 🧮🌊\n', 'stdout keeps only the answer')
  const debug = run.stderr.split('\n')
  const requests = debug.filter((line) => line.startsWith('[debug] LLM request'))
  // system prompt, the greeting (the history window), the question; then the tool call and result too.
  t.same(requests, ['[debug] LLM request to gpt-4o-mini (tools offered), 3 messages:', '[debug] LLM request to gpt-4o-mini (tools offered), 5 messages:'])
  t.match(run.stderr, /\n\[debug\] {3}system: You are Jelly/, 'the system prompt is shown')
  t.match(run.stderr, '\n[debug]   user: what is 2+2\n')
  t.match(run.stderr, '[debug] tool call calculator {"expression":"2+2"}')
  t.match(run.stderr, /\[debug\] tool result calculator \(ok\): \{"expression":"2\+2","result":4/)
  t.match(run.stderr, /\n\[debug\] {3}assistant: calls calculator\(\{"expression":"2\+2"\}\)\n\[debug\] {3}tool \[call_\w+\]: \{"expression"/, 'the second request carries the call and its result')

  model.delayMs = 800
  const term = runInTerminal(t, env, ['--token', 'llm-user'])
  await term.waitFor(/you › $/)
  term.type('what is 6*7\r')
  await term.waitFor(/Let's do the math together 🧮/)
  term.type(CTRL_C)
  t.same(await term.exited, { code: 0, signal: null })
  t.match(term.screen(), /\(leaving once Jelly has finished this answer…\)\nJelly: The answer is 42 🧮🌊\n\nBye/, 'the answer still arrives before it leaves')
  t.notOk(locked(env.DATA_DIR))
})

t.test('--url: the same chat against a running server, over Socket.IO', async (t) => {
  const server = await startServer(t)
  const run = await runPiped('what is 2+2\n', { DATA_DIR: await freshDataDir() }, ['--url', server.url, '--token', 'remote-user', '--debug'])
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, '2+2 = 4 🧮\n')
  t.match(run.stderr, `[debug] event tool_start {"tool_name":"Let's do the math together 🧮"}`)
  t.match(run.stderr, '[debug] event final_message {"message":"2+2 = 4 🧮"}')
  const history = await postJson(`${server.url}/history`, { user_token: 'remote-user' })
  t.same(
    history.body.map((entry: any) => [entry.message_type, entry.content]),
    [
      ['jelly', GREETING],
      ['human', 'what is 2+2'],
      ['tool', "Let's do the math together 🧮"],
      ['jelly', '2+2 = 4 🧮'],
    ],
    'the turn is stored by the server',
  )

  const term = runInTerminal(t, {}, ['--url', server.url, '--token', 'remote-user'])
  await term.waitFor(/you › $/)
  t.match(term.screen(), `🪼 Jelly · ${server.url} ·`)
  t.match(term.screen(), '(continuing your conversation: 1 earlier message)', 'the history comes from the server')
  term.type('15% of 2000\r')
  await term.waitFor(/Jelly: 15 \/ 100 \* 2000 = 300 🧮\nyou › $/)
  term.type(CTRL_D)
  t.same(await term.exited, { code: 0, signal: null })
})

t.test('a server holding DATA_DIR: a clear message pointing to --url', async (t) => {
  const server = await startServer(t)
  const run = await runPiped('hi\n', { DATA_DIR: server.dataDir, PORT: '8123' })
  t.equal(run.code, 1)
  t.equal(run.stdout, '')
  t.match(run.stderr, /Jelly's embedded database in .* is in use by process \d+, probably a running server\./)
  t.match(run.stderr, 'npm run chat -- --url http://localhost:8123')
  t.ok(locked(server.dataDir), "the server's lock is untouched")
})

t.test('--url to nothing, and bad arguments', async (t) => {
  const nothing = await runPiped('hi\n', { DATA_DIR: await freshDataDir() }, ['--url', 'http://127.0.0.1:9'])
  t.equal(nothing.code, 1)
  t.match(nothing.stderr, 'Jelly at http://127.0.0.1:9 could not be reached; is the server running?')
  const bad = await runPiped('', {}, ['--url', 'ftp://x'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, '--url must be an http(s) URL, got "ftp://x"')
})
