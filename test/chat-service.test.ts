// The message path on its own: createChatService over the real repository on
// its own database, with the real agents (offline, and the LLM loop against the
// fake provider for timing). No transport in between.
import t from 'tap'
import postgres from 'postgres'
import pino from 'pino'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { chatRepository } from '../db/chat-repository.ts'
import { createChatService, GREETING, ServiceUnavailableError, TurnUnavailableError, type ChatEvent } from '../server/chat-service.ts'
import { createOfflineAgent } from '../agent/offline.ts'
import { createLlmAgent } from '../agent/llm.ts'
import { mathTool } from '../tools/math.ts'
import { createUserTurns, STALE_AFTER_MS } from '../server/user-turns.ts'
import { turnQueue } from '../db/turn-queue.ts'
import { createTurnLimits } from '../server/turn-limits.ts'
import { postgresCounters } from '../db/rate-counters.ts'
import { createOceanTools } from '../tools/ocean/index.ts'
import { freshDatabase } from './helpers/data-dir.ts'
import { eventually } from './helpers/chat.ts'
import { startFakeOpenAI } from './fakes/openai.ts'
import { startFakeOcean } from './fakes/ocean.ts'

const db = await connectDatabase(await freshDatabase())
t.teardown(() => db.close())
await migrate(db.sql)
const repository = chatRepository(db.sql)
const lines: Record<string, any>[] = []
const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
// As the server composes it: on a shared database, turns also queue there.
const userTurns = createUserTurns({ queue: db.embedded ? undefined : turnQueue(db.sql, STALE_AFTER_MS), waitTimeoutMs: 30_000, log })
t.teardown(() => userTurns.close())
const service = (agent = createOfflineAgent([mathTool])) => createChatService({ repository, agent, log, historyWindow: 10, turnTimeoutMs: 5000, userTurns })
const incoming = (userToken: string, message: string) => ({ userToken, message, application: 'test', transport: 'rest' as const })

t.test('a turn: events in order, and the transcript stored with the answer id', async (t) => {
  const events: ChatEvent[] = []
  const reply = await service().handleMessage(incoming('svc-one', '2^10 + 5'), (event) => events.push(event))
  t.equal(reply.answer, '2^10 + 5 = 1029 🧮')
  t.same(
    events.map((event) => event.type).filter((type, i, all) => type !== all[i - 1]),
    ['tool_start', 'final_answer_token', 'final_message'],
  )
  t.same(events.at(-1), { type: 'final_message', message: reply.answer, message_id: reply.messageId })
  const userId = await repository.ensureUser('svc-one', GREETING, 'test')
  const stored = await repository.history(userId, 100)
  t.same(
    stored.map((row) => [row.message_type, row.content]),
    [
      ['jelly', GREETING],
      ['human', '2^10 + 5'],
      ['tool', "Let's do the math together 🧮"],
      ['jelly', reply.answer],
    ],
  )
  t.equal(stored.at(-1)?.id, reply.messageId)
})

t.test("one user's turns run one after the other; other users do not wait", async (t) => {
  const fake = await startFakeOpenAI((request) => ({
    content: `re: ${request.messages.at(-1)?.content}`,
    delayMs: request.messages.at(-1)?.content === 'slow' ? 400 : 0,
  }))
  t.teardown(() => fake.close())
  const agent = createLlmAgent({
    tools: [],
    fallback: createOfflineAgent([]),
    model: 'm',
    apiKey: 'k',
    baseUrl: fake.url,
    maxToolRounds: 1,
    toolTimeoutMs: 1000,
    prices: {},
  })
  const chat = service(agent)
  const finished: string[] = []
  const send = (user: string, message: string) => chat.handleMessage(incoming(user, message), () => undefined).then(() => finished.push(`${user}:${message}`))
  await Promise.all([send('svc-a', 'slow'), send('svc-a', 'next'), send('svc-b', 'quick')])
  t.same(finished, ['svc-b:quick', 'svc-a:slow', 'svc-a:next'])
  const stored = await repository.history(await repository.ensureUser('svc-a', GREETING, null), 100)
  t.same(
    stored.slice(1).map((row) => row.content),
    ['slow', 're: slow', 'next', 're: next'],
  )
})

t.test('while draining, new messages are refused with words and nothing is stored', async (t) => {
  const chat = service()
  t.equal(await chat.drain(1000), true)
  const refused = await chat.handleMessage(incoming('svc-late', '1+1'), () => undefined).catch((error: unknown) => error)
  t.ok(refused instanceof ServiceUnavailableError)
  t.match((refused as Error).message, /restarting/)
  const [{ n }] = await db.sql`select count(*)::int as n from users where token_hash = sha256(convert_to('svc-late', 'UTF8'))`
  t.equal(n, 0)
  t.equal(lines.filter((line) => line.msg === 'message turned away: shutting down').length, 1)
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const historyOf = async (token: string) => {
  const userId = await repository.findUser(token)
  return userId === undefined ? [] : (await repository.history(userId, 100)).map((row) => [row.message_type, row.content])
}
// A chat service whose per-user rate counters are shared in a database, as with DATABASE_URL.
const withSharedCounters = (sql: Parameters<typeof postgresCounters>[0]) =>
  createChatService({
    repository,
    agent: createOfflineAgent([mathTool]),
    log,
    historyWindow: 10,
    turnTimeoutMs: 5000,
    userTurns,
    limits: createTurnLimits({
      counters: postgresCounters(sql),
      rateLimitUser: { max: 100, windowMs: 60_000 },
      maxPendingPerUser: 5,
      maxTurnsInFlight: 0,
      eventLoopLagging: () => false,
    }),
  })
// Holds a table locked for `ms` (the message path's statements on it wait); resolves once it is held, with the end of the hold.
async function holdTable(table: 'rate_limit_counters' | 'chat_messages', ms: number): Promise<{ released: Promise<unknown> }> {
  let held!: () => void
  const locked = new Promise<void>((resolve) => (held = resolve))
  const released = db.sql.begin(async (tx) => {
    await tx`lock table ${tx(table)} in exclusive mode`
    held()
    await sleep(ms)
  })
  await Promise.race([locked, released])
  return { released }
}
// Works until the turn is cut, then answers with what it has (as the LLM loop does).
const answersWhenCut = {
  run: ({ signal }: { signal: AbortSignal }) =>
    new Promise<{ answer: string; tools: string[]; mode: 'fallback' }>((resolve) => {
      const done = () => resolve({ answer: 'cut short', tools: [], mode: 'fallback' })
      if (signal.aborted) done()
      else signal.addEventListener('abort', done, { once: true })
    }),
}

t.test('a drain waits for a message still being admitted (the shared rate counters are in the database)', async (t) => {
  const chat = withSharedCounters(db.sql)
  // The counters are held for a moment: the message waits in admission.
  const hold = await holdTable('rate_limit_counters', 300)
  let answered = false
  const reply = chat.handleMessage(incoming('svc-admitting', '6*7'), () => undefined).then((value) => ((answered = true), value))
  await sleep(50)
  t.equal(await chat.drain(5000), true, 'drained within the grace')
  t.ok(answered, 'the message was answered before the drain ended')
  t.equal((await reply).answer, '6*7 = 42 🧮')
  await hold.released
})

t.test("a user's message still queued when the grace runs out is refused as restarting, and nothing of it is stored", async (t) => {
  const chat = service(answersWhenCut as never)
  const first = chat.handleMessage(incoming('svc-queued', 'first'), () => undefined)
  await sleep(100)
  const second = chat.handleMessage(incoming('svc-queued', 'second'), () => undefined).catch((error: unknown) => error)
  await sleep(100)
  t.equal(await chat.drain(300), false, 'the grace ran out')
  t.equal((await first).answer, 'cut short', 'the turn under way answered with what it had')
  const refused = await second
  t.ok(refused instanceof TurnUnavailableError, 'the queued one: try again (503)')
  t.match((refused as Error).message, /restarting/)
  t.same(await historyOf('svc-queued'), [
    ['jelly', GREETING],
    ['human', 'first'],
    ['jelly', 'cut short'],
  ])
})

t.test("an LLM turn cut at the end of the grace answers offline within the wind-down, even when the fallback's tool is slow", async (t) => {
  const provider = await startFakeOpenAI(() => ({ content: 'never sent', delayMs: 30_000 }))
  t.teardown(() => provider.close())
  const ocean = await startFakeOcean(t)
  ocean.setDelay(5000)
  const offline = createOfflineAgent(createOceanTools({ url: ocean.url, network: 'mainnet', timeoutMs: 10_000, log }))
  const agent = createLlmAgent({ tools: [], fallback: offline, model: 'm', apiKey: 'k', baseUrl: provider.url, maxToolRounds: 1, toolTimeoutMs: 10_000, prices: {} })
  const chat = service(agent)
  const reply = chat.handleMessage(incoming('svc-last-moment', 'what is the latest block height?'), () => undefined)
  await sleep(100)
  const started = performance.now()
  t.equal(await chat.drain(200), false, 'the grace ran out')
  const waited = performance.now() - started
  // Slack for a busy machine; a drain that waited for the tool would take 5 s.
  t.ok(waited < 200 + 500 + 800, `drain ended ${Math.round(waited)} ms after it began (grace 200 ms, wind-down 500 ms)`)
  const { answer } = await reply
  t.match(answer, /stopped before it finished/, 'the answer says what happened')
  t.same((await historyOf('svc-last-moment')).slice(1), [
    ['human', 'what is the latest block height?'],
    ['tool', (await historyOf('svc-last-moment'))[2][1]],
    ['jelly', answer],
  ])
})

t.test('a database that is away while a message is admitted gives "try again", logged once', async (t) => {
  // Shared counters on a database that is gone: nothing listens on port 1.
  const gone = postgres('postgres://jelly@127.0.0.1:1/jelly', { max: 1, connect_timeout: 2, onnotice: () => undefined })
  t.teardown(() => gone.end({ timeout: 0 }))
  const chat = withSharedCounters(gone as unknown as Parameters<typeof postgresCounters>[0])
  const before = lines.length
  const refused = await chat.handleMessage(incoming('svc-admit-down', '1+1'), () => undefined).catch((error: unknown) => error)
  t.ok(refused instanceof TurnUnavailableError, '503, not 500')
  t.match((refused as Error).message, /cannot reach its database/)
  const errors = lines.slice(before).filter((line) => line.level >= 50)
  t.match(errors, [{ msg: 'message not admitted', outcome: 'unavailable', err: { code: 'ECONNREFUSED' } }])
  t.equal(errors.length, 1, 'logged once')
  t.same(await historyOf('svc-admit-down'), [], 'nothing stored')
})

t.test('a message whose storing outlasts the turn deadline gets "send it again", and is taken back when it lands late', async (t) => {
  const chat = createChatService({ repository, agent: createOfflineAgent([mathTool]), log, historyWindow: 10, turnTimeoutMs: 1000, userTurns })
  // The messages table is held past the deadline, then let go: the insert commits after the client was answered.
  const hold = await holdTable('chat_messages', 1500)
  const refused = await chat.handleMessage(incoming('svc-late-store', '2+2'), () => undefined).catch((error: unknown) => error)
  t.ok(refused instanceof TurnUnavailableError, '503')
  t.match((refused as Error).message, /send your message again/)
  await hold.released
  // The greeting commits with the late copy and stays: seen alone, the copy landed and was taken back.
  const alone = (history: string[][]) => history.length === 1 && history[0][1] === GREETING
  t.ok(await eventually(async () => alone(await historyOf('svc-late-store')), 5000, 'the late copy taken back'), 'the late copy was taken back')
  const resent = await chat.handleMessage(incoming('svc-late-store', '2+2'), () => undefined)
  t.equal(resent.answer, '2+2 = 4 🧮')
  t.same(
    (await historyOf('svc-late-store')).filter(([type]) => type === 'human'),
    [['human', '2+2']],
    'the resend is stored once',
  )
})
