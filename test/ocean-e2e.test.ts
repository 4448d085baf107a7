// Chain-data questions through the app (offline mode, and with the fake LLM)
// talking to the fake Ocean: REST through inject, Socket.IO on a listening app.
import t from 'tap'
import { buildTestApp, listenTestApp } from './helpers/app.ts'
import { injector, type Injector } from './helpers/inject.ts'
import { connectSocketIo } from './helpers/client.ts'
import { readTurn, recordSocketIo, socketIoSend } from './helpers/chat.ts'
import { startFakeOcean, unreachableOceanUrl } from './fakes/ocean.ts'
import { ADDRESSES } from './fakes/ocean-data.ts'
import { startFakeOpenAI, type ChatRequest, type FakeReply } from './fakes/openai.ts'

const ask = (http: Injector, user: string, message: string) => http.post('/user_message', { user_token: user, message })

t.test('offline mode answers chain-data questions from Ocean', async (t) => {
  const ocean = await startFakeOcean(t)
  const server = await listenTestApp(t, { OCEAN_URL: ocean.url })
  const http = injector(server.app)

  t.test('over REST, with exact formatted numbers', async (t) => {
    const masternodes = await ask(http, 'ocean-rest', 'How many masternodes are there?')
    t.equal(masternodes.status, 200)
    t.match(masternodes.body.response, /There are 11,234 masternodes on DeFiChain mainnet/)
    t.match((await ask(http, 'ocean-rest', 'What is the circulating supply of DFI?')).body.response, /743,111,110\.358018 DFI/)
    t.match((await ask(http, 'ocean-rest', "What's the price of DFI?")).body.response, /\$0\.02345678/)
  })

  t.test('a follow-up refers back to the address asked about before', async (t) => {
    const balance = await ask(http, 'ocean-follow-up', `What is the balance of ${ADDRESSES.rich}?`)
    t.match(balance.body.response, /holds 1,234\.56789012 DFI as UTXO/)
    const vaults = await ask(http, 'ocean-follow-up', 'and how many vaults are on it?')
    t.match(vaults.body.response, /has 2 vaults/)
    t.ok(ocean.count(`/v0/mainnet/address/${ADDRESSES.rich}/vaults`) >= 1)
  })

  t.test('over Socket.IO, with the tool line first and the answer streamed', async (t) => {
    const socket = await connectSocketIo(server.url)
    t.teardown(() => void socket.close())
    const recorder = recordSocketIo(socket)
    const turn = readTurn(await socketIoSend(socket, recorder, { user_token: 'ocean-socket', message: "What's the latest block?" }))
    t.same(turn.errors, [])
    t.same(turn.toolStarts, ['Fetching the latest DeFiChain block 🧱'])
    t.match(turn.final, /The latest mainnet block is 3,456,789/)
    t.equal(turn.tokens.join(''), turn.final)
  })
})

t.test('when Ocean is unreachable the user is told live data is unavailable, in bounded time', async (t) => {
  const http = injector((await buildTestApp(t, { OCEAN_URL: await unreachableOceanUrl(), OCEAN_TIMEOUT_MS: '500' })).app)
  const started = Date.now()
  const reply = await ask(http, 'ocean-down', 'How much DFI has been burned so far?')
  t.equal(reply.status, 200)
  t.match(reply.body.response, /^Live chain data is unavailable right now/)
  t.ok(Date.now() - started < 3000, 'answered quickly')
})

t.test('the LLM gets the Ocean tools, calls one and reads its compact result', async (t) => {
  const ocean = await startFakeOcean(t)
  const script = (request: ChatRequest): FakeReply => {
    const last = request.messages.at(-1)
    if (last?.role === 'tool') {
      const result = JSON.parse(String(last.content)) as { count: number }
      return { content: `DeFiChain has ${result.count.toLocaleString('en-US')} masternodes 🌊` }
    }
    return { toolCalls: [{ name: 'chain', arguments: '{"what":"masternodes"}' }] }
  }
  const llm = await startFakeOpenAI(script)
  t.teardown(() => llm.close())
  const http = injector((await buildTestApp(t, { OCEAN_URL: ocean.url, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key' })).app)

  const reply = await ask(http, 'ocean-llm', 'How many masternodes are there?')
  t.equal(reply.body.response, 'DeFiChain has 11,234 masternodes 🌊')
  const offered = (llm.requests[0].tools ?? []).map((tool) => tool.function.name)
  t.same(offered, ['calculator', 'address', 'block', 'lookup', 'token', 'pool', 'chain', 'wiki'], 'the Ocean reads are offered grouped by subject')
  t.notOk(
    offered.some((name) => /send|rawtx/.test(name)),
    'no tool sends transactions',
  )
  const toolMessage = llm.requests[1].messages.find((message) => message.role === 'tool')
  t.ok(toolMessage && String(toolMessage.content).length < 2000, 'the tool result is small')
  t.match(String(toolMessage?.content), /"count":11234/)
})
