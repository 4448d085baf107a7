// `npm run chat` as a person uses it, in a pseudo-terminal: greeting, tool
// lines, streamed answers, Ctrl-C/Ctrl-D; --debug in offline and LLM mode
// (piped, so the debug lines are on stderr alone).
import t from 'tap'
import { GREETING } from '../server/chat-service.ts'
import { freshMigratedDataDir } from './helpers/data-dir.ts'
import { startFakeOpenAI } from './fakes/openai.ts'
import { calculatorModel } from './helpers/llm-scripts.ts'
import { CTRL_C, CTRL_D, isLocked, runInTerminal, runPiped } from './helpers/terminal.ts'

t.test('in a terminal: greeting, tool line, streamed answer, debug lines; Ctrl-D and Ctrl-C leave cleanly', async (t) => {
  const dataDir = await freshMigratedDataDir()
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
  t.notOk(isLocked(dataDir), 'the lock file is gone')

  const second = runInTerminal(t, { DATA_DIR: dataDir }, ['--token', 'pty-user'])
  await second.waitFor(/you › $/)
  t.match(second.screen(), '(continuing your conversation: 1 earlier message)\nyou › what is 2+2\nJelly: 2+2 = 4 🧮\n', 'the last exchange, on return')
  second.type(CTRL_C)
  t.same(await second.exited, { code: 0, signal: null }, 'Ctrl-C leaves with exit code 0')
  t.notOk(isLocked(dataDir), 'the lock file is gone')
})

t.test('LLM mode with --debug: each request with its messages, the tool call and result; Ctrl-C mid-answer waits for it', async (t) => {
  const model = calculatorModel()
  const llm = await startFakeOpenAI(model.script)
  t.teardown(() => llm.close())
  const env = { DATA_DIR: await freshMigratedDataDir(), OPENAI_BASE_URL: llm.url }

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
  t.match(
    run.stderr,
    /\n\[debug\] {3}assistant: calls calculator\(\{"expression":"2\+2"\}\)\n\[debug\] {3}tool \[call_\w+\]: \{"expression"/,
    'the second request carries the call and its result',
  )

  model.delayMs = 800
  const term = runInTerminal(t, env, ['--token', 'llm-user'])
  await term.waitFor(/you › $/)
  term.type('what is 6*7\r')
  await term.waitFor(/Let's do the math together 🧮/)
  term.type(CTRL_C)
  t.same(await term.exited, { code: 0, signal: null })
  t.match(term.screen(), /\(leaving once Jelly has finished this answer…\)\nJelly: The answer is 42 🧮🌊\n\nBye/, 'the answer still arrives before it leaves')
  t.notOk(isLocked(env.DATA_DIR))
})
