// Shutdown of the real process: SIGTERM ends within SHUTDOWN_GRACE_MS plus about
// a second whatever the clients do, clients cut at the end of the grace still get
// an answer, a repeated signal does not cut the drain short and a third forces it.
import t, { type Test } from 'tap'
import { request, Agent } from 'node:http'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { io } from 'socket.io-client'
import { startFakeOpenAI } from './fakes/openai.ts'
import { spawnServer, type ChildServer } from './helpers/child-server.ts'
import { freshDataDir } from './helpers/data-dir.ts'
import { connectSocketIo } from './helpers/client.ts'
import { eventually, readTurn, recordSocketIo, socketIoSend } from './helpers/chat.ts'
import { calculatorAnswer, calculatorModel } from './helpers/llm-scripts.ts'

// Five server processes, one after the other: more than the default two minutes on a busy machine.
t.setTimeout(300_000)

const QUESTION = 'What is 20000 divided by 33.3?'
const OFFLINE_ANSWER = '20000 / 33.3 = 600.600600601 🧮'

/** A server whose model takes `delayMs` for every call. */
async function slowServer(t: Test, delayMs: number, env: Record<string, string> = {}) {
  const model = calculatorModel(delayMs)
  const fake = await startFakeOpenAI(model.script)
  t.teardown(() => fake.close())
  const dataDir = await freshDataDir()
  const server = await spawnServer(t, { DATA_DIR: dataDir, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test', ...env })
  const asked = () => new Promise<void>((resolve) => (model.onRequest = () => resolve()))
  return { server, model, dataDir, asked }
}

function httpJson(agent: Agent, url: string, method: string, body?: unknown): Promise<{ status: number; body: any; reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined, reusedSocket: req.reusedSocket }))
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

function logLines(server: ChildServer): Record<string, any>[] {
  return server
    .stdout()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

t.test('SIGTERM with a REST turn in flight on a keep-alive connection ends within the grace plus a second', async (t) => {
  const graceMs = 1500
  const { server, dataDir, asked } = await slowServer(t, 10_000, { SHUTDOWN_GRACE_MS: String(graceMs) })
  const turnAgent = new Agent({ keepAlive: true, maxSockets: 1 })
  const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 })
  const busyAgent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => [turnAgent, idleAgent, busyAgent].forEach((agent) => agent.destroy()))

  t.equal((await httpJson(turnAgent, `${server.url}/health`, 'GET')).status, 200)
  t.equal((await httpJson(idleAgent, `${server.url}/health`, 'GET')).status, 200, 'a keep-alive connection that stays idle')
  const modelAsked = asked()
  const turn = httpJson(turnAgent, `${server.url}/user_message`, 'POST', { user_token: 'rest-in-flight', message: QUESTION })
  await modelAsked
  // A client that keeps sending on its keep-alive connection throughout.
  let busy = true
  const busyLoop = (async () => {
    while (busy) await httpJson(busyAgent, `${server.url}/health`, 'GET').catch(() => undefined)
  })()

  const signalled = Date.now()
  server.child.kill('SIGTERM')
  const exit = await server.exited
  const tookMs = Date.now() - signalled
  busy = false
  await busyLoop
  t.same(exit, { code: 0, signal: null }, 'exits 0')
  t.ok(tookMs < graceMs + 1000, `ended ${tookMs} ms after SIGTERM (grace ${graceMs} ms)`)

  const reply = await turn
  t.equal(reply.status, 200, 'the REST client still got an answer')
  t.equal(reply.reusedSocket, true, 'on its keep-alive connection')
  t.match(reply.body, { response: OFFLINE_ANSWER }, 'answered offline once the grace ran out')
  const logs = logLines(server)
  t.ok(
    logs.some((line) => line.msg === 'turn' && line.mode === 'fallback'),
    'the cut turn was answered and logged as a fallback',
  )
  t.ok(
    logs.some((line) => line.msg === 'stopped'),
    'logged "stopped"',
  )
  t.notOk(existsSync(join(dataDir, 'jelly.lock')), 'released the data-folder lock')
})

for (const transport of ['websocket', 'polling'] as const) {
  t.test(`a Socket.IO client (${transport}) cut at the end of the grace gets its stored answer before the disconnect`, async (t) => {
    const graceMs = 1000
    const { server, asked } = await slowServer(t, 10_000, { SHUTDOWN_GRACE_MS: String(graceMs) })
    const socket = io(server.url, { transports: [transport], forceNew: true, reconnection: false })
    t.teardown(() => void socket.disconnect())
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('connect_error', reject))
    const recorder = recordSocketIo(socket)
    const order: string[] = []
    socket.on('final_message', () => order.push('final_message'))
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', (reason) => (order.push('disconnect'), resolve(reason))))
    const modelAsked = asked()
    const turn = socketIoSend(socket, recorder, { user_token: `sio-${transport}`, message: QUESTION })
    await modelAsked
    server.child.kill('SIGTERM')

    t.equal(readTurn(await turn).final, OFFLINE_ANSWER, 'final_message arrived')
    t.equal(await disconnected, 'io server disconnect', 'then the server disconnected it')
    t.same(order, ['final_message', 'disconnect'])
    t.same(await server.exited, { code: 0, signal: null })
  })
}

t.test('a second SIGTERM does not cut the drain short; the turn finishes and is answered by the model', async (t) => {
  const { server, model, dataDir, asked } = await slowServer(t, 1500)
  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  const modelAsked = asked()
  const turn = socketIoSend(socket, recordSocketIo(socket), 'twice', QUESTION)
  await modelAsked
  model.delayMs = 0
  server.child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 200))
  server.child.kill('SIGTERM')

  t.equal(readTurn(await turn).final, calculatorAnswer('600.600600601'), 'the model answered, not the fallback')
  t.same(await server.exited, { code: 0, signal: null }, 'exits 0')
  const messages = logLines(server).map((line) => line.msg)
  t.ok(messages.includes('still shutting down; a third signal forces the exit'), 'the repeat is logged')
  t.ok(messages.indexOf('turn') < messages.indexOf('stopped'), 'the turn was logged, then "stopped"')
  t.notOk(existsSync(join(dataDir, 'jelly.lock')), 'released the data-folder lock')
})

t.test('a third signal forces the exit, and says so', async (t) => {
  const { server, asked } = await slowServer(t, 10_000, { SHUTDOWN_GRACE_MS: '30000' })
  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  const modelAsked = asked()
  void socketIoSend(socket, recordSocketIo(socket), 'thrice', QUESTION).catch(() => undefined)
  await modelAsked
  const signalled = Date.now()
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGTERM'] as const) {
    server.child.kill(signal)
    await eventually(async () => logLines(server).some((line) => line.signal === signal && line.msg !== undefined) || undefined, 5000, `${signal} to be logged`).catch(
      () => undefined,
    )
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.same(await server.exited, { code: 1, signal: null }, 'exits 1')
  t.ok(Date.now() - signalled < 5000, 'at once, not after the 30 s grace')
  t.ok(
    logLines(server).some((line) => line.msg === 'forced exit: turns still running are lost' && line.level === 50),
    'logged as an error',
  )
})
