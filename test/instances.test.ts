// Several instances on one PostgreSQL: one user's turns stay one at a time in
// arrival order across instances, instances starting together migrate once and
// ingest once, a message that waits too long gets a clear error, and /ws
// connections get server pings.
import t from 'tap'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { GREETING } from '../server/chat-service.ts'
import { startFakeOpenAI } from './fakes/openai.ts'
import { spawnServer } from './helpers/child-server.ts'
import { buildTestApp, listenTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'
import { connectWs, postJson } from './helpers/client.ts'
import { freshDataDir, databaseUrlFor } from './helpers/data-dir.ts'
import { TEST_DATABASE_URL } from './helpers/test-database.ts'
import { calculatorAnswer, calculatorModel } from './helpers/llm-scripts.ts'
import { eventually } from './helpers/chat.ts'

const DOCS = fileURLToPath(new URL('./fixtures/knowledge/docs/', import.meta.url))
const TOOL_LINE = "Let's do the math together 🧮"
const question = (k: number) => `what is ${k} plus ${k}?`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
type Instance = { url: string }
const needsPostgres = TEST_DATABASE_URL ? false : 'needs a PostgreSQL server (TEST_DATABASE_URL, e.g. npm run test:postgres): instances cannot share an embedded database'

t.test('two server processes on one PostgreSQL, one user driven from both', { skip: needsPostgres }, async (t) => {
  const model = calculatorModel(150)
  const fake = await startFakeOpenAI(model.script)
  t.teardown(() => fake.close())
  const dataDir = await freshDataDir()
  const env = { DATA_DIR: dataDir, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test' }
  const [a, b] = await Promise.all([spawnServer(t, env), spawnServer(t, env)])

  // Warm (code and connection pools): what follows measures warm instances.
  await Promise.all([a, b, a, b, a, b].map((server, i) => postJson(`${server.url}/user_message`, { user_token: `warm-${i}`, message: question(0) })))
  model.reset()
  const sql = postgres(databaseUrlFor(dataDir)!.replace(/[?&]pgbouncer=true/, ''), { max: 1, onnotice: () => undefined })
  t.teardown(() => sql.end())
  // Arrival is when an instance takes its ticket in the database (ids rise in that order): each
  // message is sent once the one before holds its ticket, so arrival order is the order sent.
  const ticketsTaken = async () => Number((await sql`select coalesce(pg_sequence_last_value('turn_queue_id_seq'), 0) as n`)[0].n)
  const sendInTurn = async (requests: [Instance, number][], user: string) => {
    const replies: Promise<{ status: number; body: any }>[] = []
    for (const [server, k] of requests) {
      const before = await ticketsTaken()
      replies.push(postJson(`${server.url}/user_message`, { user_token: user, message: question(k) }))
      await eventually(async () => (await ticketsTaken()) > before, 5000, `message ${k} taking its ticket`)
    }
    return Promise.all(replies)
  }
  // Alternating instances, while a turn takes about 350 ms: each arrives while earlier ones still wait or run.
  const sent = [1, 2, 3, 4, 5, 6]
  const replies = await sendInTurn(
    sent.map((k, i) => [i % 2 ? b : a, k]),
    'shared-user',
  )
  replies.forEach((reply, i) => t.match(reply, { status: 200, body: { response: calculatorAnswer(String(2 * sent[i])) } }, `message ${sent[i]} answered`))
  t.equal(model.maxConcurrent, 1, "the user's turns never overlapped, across instances")

  const history = (await postJson(`${b.url}/history`, { user_token: 'shared-user' })).body
  t.same(history[0].content, GREETING)
  t.same(
    history.slice(1).map((entry: any) => [entry.message_type, entry.content]),
    sent.flatMap((k) => [
      ['human', question(k)],
      ['tool', TOOL_LINE],
      ['jelly', calculatorAnswer(String(2 * k))],
    ]),
    'whole turns in arrival order, never interleaved',
  )

  // A turn longer than a ticket's 5 s expiry: the one waiting behind it keeps its place by heartbeat.
  model.onRequest = (request) => {
    const asked = [...request.messages].reverse().find((message) => message.role === 'user')?.content
    model.delayMs = asked === question(1) ? 2800 : 150
  }
  const patientReplies = await sendInTurn(
    [
      [a, 1],
      [a, 2],
      [b, 3],
    ],
    'patient-user',
  )
  t.ok(
    patientReplies.every((reply) => reply.status === 200),
    'all answered',
  )
  const patient = (await postJson(`${a.url}/history`, { user_token: 'patient-user' })).body
  t.same(
    patient.filter((entry: any) => entry.message_type === 'human').map((entry: any) => entry.content),
    [question(1), question(2), question(3)],
    'a message waiting behind a long turn on its instance is not overtaken from another',
  )

  model.reset()
  // Long enough that all four reach the model together even on a busy machine.
  model.delayMs = 400
  const users = ['u1', 'u2', 'u3', 'u4']
  const started = Date.now()
  const concurrent = await Promise.all(users.map((user, i) => postJson(`${(i % 2 ? b : a).url}/user_message`, { user_token: user, message: question(i + 1) })))
  t.ok(concurrent.every((reply) => reply.status === 200))
  t.ok(model.maxConcurrent >= 3, `different users run at the same time (${model.maxConcurrent} at once)`)
  t.ok(Date.now() - started < 4 * 2 * 400, 'and do not wait for each other')
})

t.test('instances starting at once on an empty database: migrations run once, all come up, one ingests', { skip: needsPostgres }, async (t) => {
  const dataDir = await freshDataDir()
  const env = { DATA_DIR: dataDir, INGEST_ON_START: `${DOCS}en --base-url https://example.org/docs`, LOG_LEVEL: 'info' }
  const servers = await Promise.all([1, 2, 3].map(() => spawnServer(t, env)))
  for (const server of servers) t.equal((await fetch(`${server.url}/ready`)).status, 200, `instance on ${server.port} is ready`)

  const sql = postgres(databaseUrlFor(dataDir)!.replace(/[?&]pgbouncer=true/, ''), { max: 1, onnotice: () => undefined })
  t.teardown(() => sql.end())
  const ledger = await sql<{ name: string; count: number }[]>`select name, count(*)::int as count from schema_migrations group by name order by name`
  t.ok(ledger.length >= 4, 'every migration is recorded')
  t.ok(
    ledger.every((row) => row.count === 1),
    'each once',
  )
  const logged = (what: RegExp) => servers.filter((server) => what.test(server.stdout())).length
  const finished = /"msg":"ingestion on start(: done| skipped: another instance is ingesting)"/
  for (let i = 0; i < 100 && logged(finished) < 3; i++) await sleep(100)
  t.equal(logged(finished), 3, 'every instance ingested or said why it did not')
  t.ok(logged(/"msg":"database migrated"/) >= 1, 'someone migrated')
  t.ok(logged(/"msg":"ingested:/) >= 1, 'someone ingested')
  // One at a time: the [running, done] intervals of the instances that ingested never overlap.
  const intervals = servers
    .map((server) =>
      server
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"msg":"ingestion on start: '))
        .map((line) => JSON.parse(line).time as number),
    )
    .filter((times) => times.length === 2)
    .sort((x, y) => x[0] - y[0])
  t.ok(intervals.length >= 1)
  for (let i = 1; i < intervals.length; i++) t.ok(intervals[i][0] >= intervals[i - 1][1], 'an ingestion started after the previous one ended')
  const [{ count }] = await sql<{ count: number }[]>`select count(*)::int as count from kb_documents`
  t.equal(count, 3, 'the pages are there once')
})

t.test('a message that waits too long for the previous turn gets a clear error, not a hang', async (t) => {
  const model = calculatorModel(1500)
  const fake = await startFakeOpenAI(model.script)
  t.teardown(() => fake.close())
  const http = injector((await buildTestApp(t, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test', TURN_QUEUE_TIMEOUT_MS: '300' })).app)
  const first = http.post('/user_message', { user_token: 'patient', message: question(1) })
  await sleep(50)
  const started = Date.now()
  const second = await http.post('/user_message', { user_token: 'patient', message: question(2) })
  t.equal(second.status, 503)
  t.match(second.body.error, /still answering your previous message/)
  t.ok(Date.now() - started < 1200, `answered after the wait bound, not after the first turn (${Date.now() - started} ms)`)
  t.equal((await first).status, 200, 'the first turn still finishes')
  const history = (await http.post('/history', { user_token: 'patient' })).body
  t.same(
    history.filter((entry: any) => entry.message_type === 'human').map((entry: any) => entry.content),
    [question(1)],
    'the refused message was not stored',
  )
  const third = await http.post('/user_message', { user_token: 'patient', message: question(3) })
  t.equal(third.status, 200, 'the user can go on')
})

t.test('/ws connections get server pings, so proxies keep them open', async (t) => {
  const server = await listenTestApp(t, { WS_PING_INTERVAL_MS: '100' })
  const ws = await connectWs(server.url)
  t.teardown(() => ws.close())
  let pings = 0
  ws.on('ping', () => pings++)
  // Within 5 s: pinged at WS_PING_INTERVAL_MS, not the default 25 s.
  t.ok(await eventually(async () => pings >= 3, 5000, 'three pings'), 'pinged every 100 ms')
  t.equal(ws.readyState, ws.OPEN, 'the client answered (ws pongs by itself) and stays connected')
})
