// The message path on its own: createChatService over the real repository on
// its own database, with the real agents (offline, and the LLM loop against the
// fake provider for timing). No transport in between.
import t from 'tap'
import pino from 'pino'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { chatRepository } from '../db/chat-repository.ts'
import { createChatService, GREETING, ServiceUnavailableError, type ChatEvent } from '../server/chat-service.ts'
import { createOfflineAgent } from '../agent/offline.ts'
import { createLlmAgent } from '../agent/llm.ts'
import { mathTool } from '../tools/math.ts'
import { freshDataDir } from './helpers/data-dir.ts'
import { startFakeOpenAI } from './fakes/openai.ts'

const db = await connectDatabase({ dataDir: await freshDataDir() })
t.teardown(() => db.close())
await migrate(db.sql)
const repository = chatRepository(db.sql)
const lines: Record<string, any>[] = []
const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
const service = (agent = createOfflineAgent([mathTool])) => createChatService({ repository, agent, log, historyWindow: 10, turnTimeoutMs: 5000 })
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
