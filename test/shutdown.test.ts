// Shutdown of the real process: SIGTERM ends within SHUTDOWN_GRACE_MS plus about
// a second whatever the clients do, clients cut at the end of the grace still get
// an answer (repeated signals: shutdown-signals.test.ts).
import t from 'tap'
import { request, Agent } from 'node:http'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { io } from 'socket.io-client'
import { readTurn, recordSocketIo, socketIoSend } from './helpers/chat.ts'
import { logLines, OFFLINE_ANSWER, QUESTION, slowServer } from './helpers/slow-server.ts'

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
  const lines = logLines(server)
  const from = lines.find((line) => line.msg === 'shutting down')?.time ?? 0
  const timeline = lines.filter((line) => line.time >= from && !line.req && !line.res).map((line) => `${line.msg} +${line.time - from}`)
  // About a second after the grace; the extra half second is for a busy machine (signal and exit included).
  t.ok(tookMs < graceMs + 1500, `ended ${tookMs} ms after SIGTERM (grace ${graceMs} ms): ${timeline.join(', ')}`)

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
