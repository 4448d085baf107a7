// The knowledge base through the app: /search (inject), the wiki tool in the
// LLM loop (fake model), and an offline wiki answer over REST and Socket.IO
// (a listening app). The fixture wiki is ingested into a data dir first; the app then owns it.
import t from 'tap'
import { fileURLToPath } from 'node:url'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { copyOfEmbeddedDataDir, databaseUrlFor, freshMigratedDataDir } from './helpers/data-dir.ts'
import { TEST_DATABASE_URL } from './helpers/test-database.ts'
import { buildTestApp, listenTestApp } from './helpers/app.ts'
import { startServer } from './helpers/server.ts'
import { injector, type Injector } from './helpers/inject.ts'
import { connectSocketIo, postJson, socketIoTurn } from './helpers/client.ts'
import { startFakeOpenAI, type ChatRequest } from './fakes/openai.ts'
import { loadSource } from '../knowledge/sources.ts'
import { ingestSource } from '../knowledge/ingest.ts'
import { createLocalEmbedder } from '../knowledge/embedders/local.ts'

const docs = (lang: string) => fileURLToPath(new URL(`./fixtures/knowledge/docs/${lang}`, import.meta.url))
const LAMP_URL = 'https://wiki.example/docs/Lighthouse#lamp-schedule'

/** A data dir holding the fixture wiki (en and de), ingested with the local embedder. */
async function ingestedDataDir(): Promise<string> {
  const dataDir = await freshMigratedDataDir()
  const db = await connectDatabase({ dataDir, databaseUrl: databaseUrlFor(dataDir) })
  try {
    await migrate(db.sql)
    const embedder = createLocalEmbedder()
    await ingestSource(db.sql, embedder, await loadSource(docs('en'), { baseUrl: 'https://wiki.example/docs' }))
    await ingestSource(db.sql, embedder, await loadSource(docs('de'), { baseUrl: 'https://wiki.example/de/docs' }))
  } finally {
    await db.close()
  }
  return dataDir
}

// Embedded: ingested once, then each server gets a copy; on TEST_DATABASE_URL each its own database.
let ingested: Promise<string> | undefined
async function fixtureDataDir(): Promise<string> {
  if (TEST_DATABASE_URL) return ingestedDataDir()
  return copyOfEmbeddedDataDir(await (ingested ??= ingestedDataDir()))
}

const search = (http: Injector, query: string, headers: Record<string, string> = {}) => http.get(`/search?${new URLSearchParams(query)}`, headers)

t.test('/search: hits best first with their sources, k, admin token', async (t) => {
  const http = injector((await buildTestApp(t, { DATA_DIR: await fixtureDataDir(), ADMIN_TOKEN: 'kb-admin-token-for-tests' })).app)
  const admin = { authorization: 'Bearer kb-admin-token-for-tests' }

  t.equal((await search(http, 'q=lamp')).status, 401, 'no token')
  t.equal((await search(http, 'q=lamp', { authorization: 'Bearer wrong' })).status, 401, 'wrong token')

  const { status, body } = await search(http, 'q=how long does the lamp burn in winter&k=3', admin)
  t.equal(status, 200)
  t.ok(body.length >= 1 && body.length <= 3, 'at most k hits')
  t.same(Object.keys(body[0]).sort(), ['content', 'heading', 'score', 'source', 'title', 'url'])
  t.match(body[0], { source: 'en/Lighthouse.md', title: 'Lighthouse keeping', url: LAMP_URL })
  t.match(body[0].content, /11 hours in winter/)
  t.ok(
    body.every((hit: { score: number }, index: number) => index === 0 || body[index - 1].score >= hit.score),
    'best first',
  )

  const one = await search(http, 'q=tide harbour boats lamp seals&k=1', admin)
  t.equal(one.body.length, 1, 'k=1 gives one hit')
  const many = await search(http, 'q=tide harbour boats lamp seals&k=10', admin)
  t.ok(many.body.length > 1, 'a larger k gives more')
  t.equal((await search(http, 'q=lamp&k=0', admin)).status, 400, 'k below 1 is refused')
  t.equal((await search(http, 'k=3', admin)).status, 400, 'q is required')
})

t.test('/search on a base built with another embedder: 409 with the reason', async (t) => {
  // The base was built with the local embedder; the server is configured for an OpenAI model.
  const { app } = await buildTestApp(t, {
    DATA_DIR: await fixtureDataDir(),
    EMBEDDING_MODEL: 'text-embedding-3-small',
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    OPENAI_API_KEY: 'sk-test',
  })
  const { status, body } = await search(injector(app), 'q=lamp')
  t.equal(status, 409)
  t.match(body.error, /built with the embedder "local-hash-v2".*openai:text-embedding-3-small.*--reset/)
})

t.test('a base built with another embedder: the start-up log says what to do; users get no operator instructions', async (t) => {
  const server = await startServer(t, {
    DATA_DIR: await fixtureDataDir(),
    EMBEDDING_MODEL: 'text-embedding-3-small',
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    OPENAI_API_KEY: 'sk-test',
  })
  const started = server.logs.filter((line) => line.level >= 50)
  t.match(started, [{ msg: /built with the embedder "local-hash-v2".*openai:text-embedding-3-small.*--reset/ }], 'logged once at start')
  const reply = await postJson(`${server.url}/user_message`, { user_token: 'kb-mismatch', message: 'How long does the lamp burn in winter?' })
  t.equal(reply.status, 200)
  t.match(reply.body.response, /can't be searched right now/)
  t.notMatch(reply.body.response, /--reset|embedder|EMBEDDING_MODEL/, 'nothing for the operator in the answer')
  t.ok(
    server.logs.some((line) => line.msg === 'wiki search failed' && /--reset/.test(line.err?.message)),
    'the reason is in the log',
  )
})

t.test('the model calls the wiki tool, gets passages with URLs, and the answer streams', async (t) => {
  let toolMessage = ''
  const fake = await startFakeOpenAI((request: ChatRequest, call) => {
    if (call === 0) return { toolCalls: [{ name: 'wiki', arguments: '{"query":"how long does the lamp burn in winter"}' }] }
    toolMessage = request.messages.filter((message) => message.role === 'tool').at(-1)?.content ?? ''
    return { content: `The lamp burns for 11 hours in winter 🌊 (${LAMP_URL})`, chunkDelayMs: 2 }
  })
  t.teardown(() => fake.close())
  const server = await listenTestApp(t, { DATA_DIR: await fixtureDataDir(), OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', EMBEDDING_MODEL: 'local' })

  const socket = await connectSocketIo(server.url)
  t.teardown(() => socket.close())
  const turn = await socketIoTurn(socket, { user_token: 'kb-llm', message: 'How long does the lamp burn in winter?' })

  t.ok(
    fake.requests[0].tools?.some((tool) => tool.function.name === 'wiki'),
    'the wiki tool is offered to the model',
  )
  t.match(toolMessage, LAMP_URL, 'the tool message carries the passage URL')
  t.match(toolMessage, /11 hours in winter/)
  t.ok(toolMessage.length < 2500, `the tool message stays small (${toolMessage.length} chars)`)
  t.equal(turn.events[0].type, 'tool_start')
  t.equal(turn.events[0].tool_name, 'Diving into the DeFiChain wiki 📚')
  const tokens = turn.events.filter((event) => event.type === 'final_answer_token').map((event) => event.token)
  t.ok(tokens.length > 1, 'the answer arrives in several tokens')
  t.equal(tokens.join(''), turn.final)
  t.match(turn.final, /11 hours/)
})

t.test('offline: a wiki question answered with the fact and its source', async (t) => {
  const server = await listenTestApp(t, { DATA_DIR: await fixtureDataDir() })

  const rest = await postJson(`${server.url}/user_message`, { user_token: 'kb-offline', message: 'How long does the lamp burn in winter?' })
  t.equal(rest.status, 200)
  t.match(rest.body.response, /11 hours in winter/, 'the fact')
  t.match(rest.body.response, `(${LAMP_URL})`, 'a link to its source')
  t.ok(rest.body.response.length < 800, 'a short answer, not the page')

  const socket = await connectSocketIo(server.url)
  t.teardown(() => socket.close())
  const turn = await socketIoTurn(socket, { user_token: 'kb-offline-de', message: 'Wie lange brennt die Lampe im Winter?' })
  t.same(turn.events[0], { type: 'tool_start', tool_name: 'Diving into the DeFiChain wiki 📚' })
  t.match(turn.final, /11 Stunden/)
  t.match(turn.final, /Quelle[\s\S]*https:\/\/wiki\.example\/de\/docs\/Leuchtturm/)
})
