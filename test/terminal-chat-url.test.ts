// `npm run chat -- --url`: the terminal chat against a listening app over
// Socket.IO, piped and in a pseudo-terminal, through the server going away and
// coming back.
import t from 'tap'
import { GREETING } from '../server/chat-service.ts'
import { freshMigratedDataDir } from './helpers/data-dir.ts'
import { listenTestApp } from './helpers/app.ts'
import { postJson } from './helpers/client.ts'
import { restartServer } from './helpers/restart.ts'
import { CTRL_D, runInTerminal, runPiped } from './helpers/terminal.ts'

t.test('--url: the same chat against a running server, over Socket.IO', async (t) => {
  const server = await listenTestApp(t)
  const run = await runPiped('what is 2+2\n', { DATA_DIR: await freshMigratedDataDir() }, ['--url', server.url, '--token', 'remote-user', '--debug'])
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, '2+2 = 4 🧮\n')
  t.match(run.stderr, `[debug] event tool_start {"tool_name":"Let's do the math together 🧮"}`)
  t.match(run.stderr, /\[debug\] event final_message \{"message":"2\+2 = 4 🧮","message_id":\d+\}/)
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

  await server.stop()
  const mark = term.screen().length
  term.type('are you there?\r')
  await term.waitFor(/(Not connected to|Lost the connection to) Jelly at http:\/\/127\.0\.0\.1:\d+.*\nyou › $/, { from: mark })
  term.type(CTRL_D)
  t.same(await term.exited, { code: 0, signal: null }, 'a person leaves normally after reading the error')
})

t.test('--url: after the server restarts, the next message finds it again', async (t) => {
  const server = await listenTestApp(t)
  const term = runInTerminal(t, {}, ['--url', server.url, '--token', 'restart-user'])
  await term.waitFor(/you › $/)
  await server.stop()
  await restartServer(t, server)
  term.type('what is 6*7\r')
  await term.waitFor(/Jelly: 6\*7 = 42 🧮\nyou › $/)
  term.type(CTRL_D)
  t.same(await term.exited, { code: 0, signal: null })
})
