// The real entry point as a process: a bad configuration fails in one clear
// line, secrets stay out of the logs, and SIGTERM lets a running turn finish.
import t from 'tap'
import { rm } from 'node:fs/promises'
import { startFakeOpenAI } from './fakes/openai.ts'
import { runUntilExit, spawnServer } from './helpers/child-server.ts'
import { buildTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'
import { freshDataDir } from './helpers/data-dir.ts'
import { connectSocketIo, connectWs, postJson } from './helpers/client.ts'
import { eventually, getJson, readTurn, recordSocketIo, recordWs, socketIoSend, wsSend } from './helpers/chat.ts'
import { calculatorAnswer, calculatorModel } from './helpers/llm-scripts.ts'

/** A copy of an initialised embedded database (initdb takes seconds), removed when the file is done. */
async function tempDataDir(): Promise<string> {
  const dir = await freshDataDir()
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('a bad configuration exits non-zero with one clear line naming the variable', async (t) => {
  const dataDir = await tempDataDir()
  const cases = [
    ['PORT', 'abc'],
    ['MAX_MESSAGE_CHARS', '-5'],
    ['OPENAI_BASE_URL', 'not a url'],
  ]
  const runs = await Promise.all(cases.map(([name, value]) => runUntilExit({ [name]: value, DATA_DIR: dataDir })))
  for (const [i, [name, value]] of cases.entries()) {
    const run = runs[i]
    t.not(run.code, 0, `${name}=${value}: non-zero exit`)
    t.equal(run.signal, null, `${name}=${value}: exited by itself`)
    const lines = run.stderr.trim().split('\n')
    t.equal(lines.length, 1, `${name}=${value}: one line on stderr: ${run.stderr.trim()}`)
    t.match(lines[0], new RegExp(`\\b${name}\\b`), 'the line names the variable')
    t.match(lines[0], value, 'and the value that is wrong')
    t.notMatch(run.stderr, /^\s+at /m, 'no stack trace')
    t.equal(run.stdout, '', 'nothing on stdout')
  }
})

t.test('secrets never appear in the logs, even at LOG_LEVEL=debug', async (t) => {
  const secrets = {
    apiKey: 'sk-test-3f9a-SECRET-API-KEY-d41d8cd98f',
    adminToken: 'admin-7c1e-SECRET-ADMIN-TOKEN-b2e8',
    wrongBearer: 'wrong-9d02-SECRET-GUESS-a771',
    restUser: 'user-rest-SECRET-TOKEN-0a1b2c',
    sioUser: 'user-sio-SECRET-TOKEN-3d4e5f',
    wsUser: 'user-ws-SECRET-TOKEN-6a7b8c',
  }
  const fake = await startFakeOpenAI(calculatorModel().script)
  t.teardown(() => fake.close())
  const server = await spawnServer(t, {
    DATA_DIR: await tempDataDir(),
    LOG_LEVEL: 'debug',
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: secrets.apiKey,
    ADMIN_TOKEN: secrets.adminToken,
  })

  const rest = await postJson(`${server.url}/user_message`, { user_token: secrets.restUser, message: 'what is 2 plus 3?' })
  t.equal(rest.status, 200)
  t.equal((await postJson(`${server.url}/history`, { user_token: secrets.restUser })).status, 200)
  t.equal((await postJson(`${server.url}/user_message`, { user_token: secrets.restUser, message: '' })).status, 400)

  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  t.ok(readTurn(await socketIoSend(socket, recordSocketIo(socket), secrets.sioUser, 'what is 4 plus 5?')).final)
  const ws = await connectWs(server.url)
  t.teardown(() => ws.close())
  t.ok(readTurn(await wsSend(ws, recordWs(ws), { type: 'user_message', user_token: secrets.wsUser, message: 'what is 6 plus 7?' })).final)

  const admin = await getJson(`${server.url}/messages_answers`, { authorization: `Bearer ${secrets.adminToken}` })
  t.equal(admin.status, 200)
  t.equal(admin.body.length, 3)
  t.equal((await getJson(`${server.url}/messages_answers`, { authorization: `Bearer ${secrets.wrongBearer}` })).status, 401)
  await getJson(`${server.url}/search?q=jelly`, { authorization: `Bearer ${secrets.adminToken}` })

  const exit = await server.stop()
  t.same(exit, { code: 0, signal: null }, 'stops cleanly on SIGTERM')
  const output = server.stdout() + server.stderr()
  t.match(output, /"url":"\/messages_answers"/, 'requests were logged (so the check below means something)')
  for (const [name, secret] of Object.entries(secrets)) t.notOk(output.includes(secret), `${name} is not in the logs`)
})

t.test('SIGTERM with a turn in flight: the turn finishes, the process exits 0, the turn is stored', async (t) => {
  const model = calculatorModel(1500)
  const fake = await startFakeOpenAI(model.script)
  t.teardown(() => fake.close())
  const dataDir = await tempDataDir()
  const server = await spawnServer(t, { DATA_DIR: dataDir, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test' })

  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  const recorder = recordSocketIo(socket)
  const latecomer = await connectSocketIo(server.url)
  t.teardown(() => void latecomer.disconnect())
  const asked = new Promise<void>((resolve) => (model.onRequest = () => resolve()))
  const turn = socketIoSend(socket, recorder, 'in-flight', 'What is 20000 divided by 33.3?')
  await asked
  model.onRequest = undefined
  model.delayMs = 0 // only the first model call is slow: the turn is in flight now
  server.child.kill('SIGTERM')
  await eventually(async () => server.stdout().includes('"shutting down"'), 5000, 'the server to start shutting down')

  // A message that arrives while the server drains is turned away politely.
  const late = readTurn(await socketIoSend(latecomer, recordSocketIo(latecomer), 'latecomer', 'what is 1 plus 1?'))
  t.match(late.errors, [/restarting/], `a new message during shutdown gets a clear error: ${late.errors[0]}`)
  latecomer.disconnect()
  const ready = await fetch(`${server.url}/ready`)
  t.equal(ready.status, 503, '/ready tells load balancers the server is draining')

  const finished = readTurn(await turn)
  t.same(finished.errors, [])
  t.equal(finished.final, calculatorAnswer('600.600600601'), 'the client still received final_message')
  t.same(await server.exited, { code: 0, signal: null }, 'the process exits with code 0')
  const logged = server
    .stdout()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
  t.same(
    logged.filter((line) => line.level >= 50 && line.err?.type !== 'ServiceUnavailableError'),
    [],
    'no error was logged',
  )
  t.same(
    logged.filter((line) => line.level >= 50),
    [],
    'turning a message away during shutdown is not logged as an error with a stack',
  )

  const restarted = injector((await buildTestApp(t, { DATA_DIR: dataDir })).app)
  const history = (await restarted.post('/history', { user_token: 'in-flight' })).body
  t.same(
    history.map((entry: any) => [entry.message_type, entry.content]),
    [
      ['jelly', history[0]?.content],
      ['human', 'What is 20000 divided by 33.3?'],
      ['tool', "Let's do the math together 🧮"],
      ['jelly', finished.final],
    ],
    'after a restart on the same DATA_DIR the turn is in /history',
  )
  t.equal((await restarted.post('/history', { user_token: 'latecomer' })).body.length, 1, 'the turned-away message was not stored')
})

t.test('SIGTERM while Socket.IO and /ws clients are connected: the process closes them and exits 0', async (t) => {
  const server = await spawnServer(t, { DATA_DIR: await tempDataDir() })
  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  const ws = await connectWs(server.url)
  t.teardown(() => ws.terminate())
  const socketClosed = new Promise((resolve) => socket.once('disconnect', resolve))
  const wsClosed = new Promise((resolve) => ws.once('close', resolve))

  server.child.kill('SIGTERM')
  const timeout = new Promise((resolve) => setTimeout(resolve, 5000, 'still running after 5 s'))
  t.same(await Promise.race([server.exited, timeout]), { code: 0, signal: null }, 'exits 0 within 5 s')
  t.equal(await Promise.race([socketClosed, timeout]), 'io server disconnect', 'the server disconnected the Socket.IO client')
  await Promise.race([wsClosed, timeout])
  t.equal(ws.readyState, ws.CLOSED, 'the /ws connection was closed')
})
