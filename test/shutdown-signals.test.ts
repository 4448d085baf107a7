// Repeated signals to the real process: a second SIGTERM does not cut the drain
// short, a third signal forces the exit.
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { connectSocketIo } from './helpers/client.ts'
import { eventually, readTurn, recordSocketIo, socketIoSend } from './helpers/chat.ts'
import { calculatorAnswer } from './helpers/llm-scripts.ts'
import { logLines, QUESTION, slowServer } from './helpers/slow-server.ts'

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
