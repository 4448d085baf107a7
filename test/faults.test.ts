// Faults: the server killed with SIGKILL mid-burst, PostgreSQL restarted or
// stopped under traffic, a database that hangs on a lock. Whatever happens,
// nothing acknowledged is lost, nothing is stored twice, and clients get a
// clear error instead of a hang or a stack trace. The killed server is a real
// process (child-server.ts); restarts and the database faults go through buildTestApp().
import t from 'tap'
import type { Test } from 'tap'
import postgres from 'postgres'
import type { Socket } from 'socket.io-client'
import { startFakeOpenAI } from './fakes/openai.ts'
import { spawnServer } from './helpers/child-server.ts'
import { buildTestApp, listenTestApp } from './helpers/app.ts'
import { injector, type Injector } from './helpers/inject.ts'
import { connectSocketIo, postJson } from './helpers/client.ts'
import { eventually, getJson, readTurn, recordSocketIo, socketIoSend } from './helpers/chat.ts'
import { databaseUrlFor, freshMigratedDataDir } from './helpers/data-dir.ts'
import { TEST_DATABASE_URL } from './helpers/test-database.ts'
import { startCluster } from './helpers/postgres-cluster.ts'
import { calculatorModel } from './helpers/llm-scripts.ts'
import { GREETING } from '../server/chat-service.ts'

const ADMIN_TOKEN = 'faults-admin-token'
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }
const question = (user: string, k: number) => `${user} asks: what is ${k} plus ${k}?`
const needsPostgres = TEST_DATABASE_URL ? false : 'needs a PostgreSQL server (TEST_DATABASE_URL, e.g. npm run test:postgres): PGlite runs inside the server process'

interface Ack {
  user: string
  k: number
  response: string
}

/** One user sending its next message as soon as the last is answered, until stopped or the server is gone. */
function restUser(url: () => string, user: string, acks: Ack[], failures: { status: number; error: string }[], running: () => boolean): Promise<void> {
  return (async () => {
    for (let k = 1; running(); k++) {
      let reply
      try {
        reply = await postJson(`${url()}/user_message`, { user_token: user, message: question(user, k) })
      } catch {
        return // the process is gone
      }
      if (reply.status === 200) acks.push({ user, k, response: reply.body.response })
      else failures.push({ status: reply.status, error: reply.body.error })
    }
  })()
}

function socketUser(socket: Socket, user: string, acks: Ack[], failures: { status: number; error: string }[], running: () => boolean): Promise<void> {
  const recorder = recordSocketIo(socket)
  return (async () => {
    for (let k = 1; running() && socket.connected; k++) {
      let turn
      try {
        turn = readTurn(await socketIoSend(socket, recorder, { user_token: user, message: question(user, k) }))
      } catch {
        return // disconnected: no final_message will come
      }
      if (turn.final !== undefined) acks.push({ user, k, response: turn.final })
      else failures.push({ status: 0, error: turn.errors.join(' ') })
    }
  })()
}

/** Every page of a listing, newest page first, read back to the start: a busy run stores more than one page. */
async function allPages(read: (before: number | undefined) => Promise<{ id: number }[]>): Promise<any[]> {
  const pages: { id: number }[][] = []
  let before: number | undefined
  for (let page = await read(before); page.length > 0; page = await read(before)) {
    pages.push(page)
    before = Math.min(...page.map((entry) => entry.id))
  }
  return pages
}

/** Every acknowledged turn is stored whole, once; nothing else but at most a last unanswered question per user. */
async function checkNothingAcknowledgedLost(t: Test, http: Injector, users: string[], acks: Ack[]): Promise<void> {
  let lost = 0
  for (const user of users) {
    // Oldest first within a page, pages newest first: reversed, the whole transcript in order.
    const pages = await allPages(async (before) => (await http.post('/history', { user_token: user, limit: 200, before: before ?? null })).body)
    const history: any[] = pages.reverse().flat()
    t.equal(history[0]?.content, GREETING, `${user}: the whole transcript, from the greeting`)
    const humans = history.filter((entry) => entry.message_type === 'human').map((entry) => entry.content)
    t.equal(new Set(humans).size, humans.length, `${user}: no message stored twice`)
    for (const ack of acks.filter((a) => a.user === user)) {
      const at = history.findIndex((entry) => entry.message_type === 'human' && entry.content === question(user, ack.k))
      const stored = at >= 0 && history.slice(at + 1).find((entry) => entry.message_type !== 'tool')
      if (!stored || stored.message_type !== 'jelly' || stored.content !== ack.response) lost++
    }
    // Turns are whole: every answer follows its own question (a question may lack
    // its answer only if its turn failed or was in flight).
    const turns = history.slice(1).filter((entry) => entry.message_type !== 'tool')
    const orphans = turns.filter((entry, i) => entry.message_type === 'jelly' && turns[i - 1]?.message_type !== 'human')
    t.same(orphans, [], `${user}: no answer without its question`)
  }
  t.equal(lost, 0, `acknowledged turns lost: ${lost} of ${acks.length}`)
  const qa = await allPages(async (before) => (await http.get(`/messages_answers?limit=500${before === undefined ? '' : `&before=${before}`}`, ADMIN)).body)
  const answered = new Map<string, number>()
  for (const row of qa.flat() as { question: string }[]) answered.set(row.question, (answered.get(row.question) ?? 0) + 1)
  t.same(
    acks.filter((ack) => answered.get(question(ack.user, ack.k)) !== 1),
    [],
    'every acknowledged turn has exactly one question/answer row',
  )
}

t.test('kill -9 mid-burst (REST and Socket.IO, several users): every acknowledged turn survives a restart, once', async (t) => {
  const fake = await startFakeOpenAI(calculatorModel(20).script)
  t.teardown(() => fake.close())
  const dataDir = await freshMigratedDataDir()
  const env = { DATA_DIR: dataDir, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test', ADMIN_TOKEN }
  const server = await spawnServer(t, env)
  const sockets = await Promise.all([1, 2].map(() => connectSocketIo(server.url)))
  t.teardown(() => sockets.forEach((socket) => socket.disconnect()))

  const acks: Ack[] = []
  const failures: { status: number; error: string }[] = []
  const restUsers = ['kill-rest-1', 'kill-rest-2', 'kill-rest-3']
  const socketUsers = ['kill-sio-1', 'kill-sio-2']
  const running = () => true
  const loops = [
    ...restUsers.map((user) => restUser(() => server.url, user, acks, failures, running)),
    ...socketUsers.map((user, i) => socketUser(sockets[i], user, acks, failures, running)),
  ]
  await eventually(async () => acks.length >= 15, 30_000, '15 acknowledged turns')
  server.child.kill('SIGKILL')
  await server.exited
  await Promise.all(loops)
  t.same(failures, [], 'no turn failed before the kill')

  const restarted = await buildTestApp(t, { DATA_DIR: dataDir, ADMIN_TOKEN })
  await checkNothingAcknowledgedLost(t, injector(restarted.app), [...restUsers, ...socketUsers], acks)
})

t.test('PostgreSQL restarted and stopped under traffic', { skip: needsPostgres }, async (t) => {
  const cluster = await startCluster(t)
  const model = calculatorModel(100)
  const fake = await startFakeOpenAI(model.script)
  t.teardown(() => fake.close())
  const server = await listenTestApp(t, { DATABASE_URL: cluster.url, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test', ADMIN_TOKEN, LOG_LEVEL: 'warn' })
  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())

  const acks: Ack[] = []
  const failures: { status: number; error: string }[] = []
  let traffic = true
  const users = ['pg-rest-1', 'pg-rest-2', 'pg-rest-3', 'pg-sio']
  const loops = [
    ...users.slice(0, 3).map((user) =>
      restUser(
        () => server.url,
        user,
        acks,
        failures,
        () => traffic,
      ),
    ),
    socketUser(socket, 'pg-sio', acks, failures, () => traffic),
  ]
  await eventually(async () => acks.length >= 6, 20_000, 'traffic before the restart')
  await cluster.pgCtl('restart', '-m', 'fast')
  const afterRestart = acks.length
  await eventually(async () => acks.length >= afterRestart + 6, 20_000, 'turns answered again after the restart: the server reconnected by itself')

  // Stopped for a while: in-flight and new turns get a clear error, /ready says 503.
  const beforeStop = failures.length
  await cluster.pgCtl('stop', '-m', 'fast')
  await eventually(async () => failures.length >= beforeStop + 3, 10_000, 'turns failing while the database is away')
  const ready = await getJson(`${server.url}/ready`)
  t.equal(ready.status, 503, '/ready is 503 while the database is away')
  await cluster.pgCtl('start')
  await eventually(async () => (await getJson(`${server.url}/ready`)).status === 200, 15_000, '/ready 200 again')
  const afterStart = acks.length
  await eventually(async () => acks.length >= afterStart + 4, 20_000, 'turns answered again after the database came back')
  traffic = false
  await Promise.all(loops)

  t.ok(failures.length >= 3, `${failures.length} turns failed while the database was away`)
  t.same(
    failures.filter((failure) => !((failure.status === 503 || failure.status === 0) && /database|previous message/.test(failure.error))),
    [],
    'every failed turn is a 503 or an error event, in words about the database',
  )
  await checkNothingAcknowledgedLost(t, injector(server.app), users, acks)
})

t.test('a database that hangs on a lock cannot stall a turn beyond TURN_TIMEOUT_MS', { skip: needsPostgres }, async (t) => {
  const dataDir = await freshMigratedDataDir()
  const server = await listenTestApp(t, { DATA_DIR: dataDir, TURN_TIMEOUT_MS: '1000' })
  t.equal((await postJson(`${server.url}/user_message`, { user_token: 'locked-out', message: 'what is 1 plus 1?' })).status, 200)

  // Another session holds an exclusive lock on the transcript until released.
  const other = postgres(databaseUrlFor(dataDir)!.replace(/[?&]pgbouncer=true/, ''), { max: 1, onnotice: () => undefined })
  t.teardown(() => other.end({ timeout: 1 }))
  let release!: () => void
  let locked!: () => void
  const isLocked = new Promise<void>((resolve) => (locked = resolve))
  const holding = other.begin(async (tx) => {
    await tx`lock table chat_messages in access exclusive mode`
    locked()
    await new Promise<void>((resolve) => (release = resolve))
  })
  await isLocked

  const started = Date.now()
  const rest = await postJson(`${server.url}/user_message`, { user_token: 'locked-out', message: 'what is 2 plus 2?' })
  const restMs = Date.now() - started
  t.equal(rest.status, 503, 'REST: 503')
  t.match(rest.body.error, /database is not answering in time/, `in words: ${rest.body.error}`)
  t.ok(restMs < 2500, `ended after ${restMs} ms (TURN_TIMEOUT_MS=1000)`)

  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  const turn = readTurn(await socketIoSend(socket, recordSocketIo(socket), { user_token: 'locked-out-sio', message: 'what is 3 plus 3?' }))
  t.match(turn.errors, [/database is not answering in time/], 'Socket.IO: an error event')

  release()
  await holding
  const after = await postJson(`${server.url}/user_message`, { user_token: 'locked-out', message: 'what is 4 plus 4?' })
  t.match(after, { status: 200, body: { response: '4 + 4 = 8 🧮' } }, 'once the lock is gone, turns work again')
})
