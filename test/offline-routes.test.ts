// The offline routing table as a table of questions → the tool that answers,
// the wiki fallback when chain data is missing, and the worst case of every
// pattern that reads user text: each stays fast at the longest accepted message.
import t from 'tap'
import pino from 'pino'
import { createOfflineAgent, planOffline } from '../agent/offline.ts'
import { candidateRoutes, OFFLINE_ROUTES, ROUTED_CHARS, holds } from '../agent/offline-routes.ts'
import type { AgentEvent } from '../agent/types.ts'
import { mathTool } from '../tools/math.ts'
import { createOceanTools } from '../tools/ocean/index.ts'
import { createWikiTool } from '../tools/wiki.ts'
import type { Tool } from '../tools/types.ts'
import { loadConfig } from '../server/config.ts'
import { startFakeOcean, unreachableOceanUrl } from './fakes/ocean.ts'
import { ADDRESSES, IDS } from './fakes/ocean-data.ts'
import { fixtureKnowledgeBase } from './helpers/knowledge.ts'

const log = pino({ level: 'silent' })
const MAX_MESSAGE_CHARS = loadConfig({}).maxMessageChars
// One knowledge base for the file: a page on block rewards and pool fees.
const kb = await fixtureKnowledgeBase(t, ['chain/en'])

const ROUTES: [message: string, to: string, history?: string[]][] = [
  ['hi jelly!', 'capabilities'],
  ['thanks 🙏', 'capabilities'],
  ['hello 👋🏽 jelly', 'capabilities'],
  ['What is 2+2? thanks', 'calculator'],
  ['x', 'capabilities'],
  ['What is 20000 divided by 33.3?', 'calculator'],
  ['15% of 2000', 'calculator'],
  ['How do I add liquidity to the DFI-BTC pool?', 'wiki'],
  ['Why is DFI burned?', 'wiki'],
  ['What does APR mean for pool pairs?', 'wiki'],
  [`show vault ${IDS.vault}`, 'get_vault'],
  [`tell me about masternode ${IDS.masternode}`, 'get_masternode'],
  ['How many masternodes are there?', 'get_masternode_count'],
  ['Wie viele Masternodes gibt es?', 'get_masternode_count'],
  [`what about proposal ${IDS.proposalVoting}?`, 'get_governance_proposal'],
  ['What are the current governance proposals?', 'list_governance_proposals'],
  ['list the transactions in block 3,000,000', 'get_block_transactions'],
  ['What happened in block 3000000?', 'get_block'],
  [`transaction ${IDS.transaction}`, 'get_transaction'],
  [IDS.transaction, 'get_transaction'],
  [`how many vaults does ${ADDRESSES.rich} have`, 'get_address_vaults'],
  [`list the UTXOs of ${ADDRESSES.rich}`, 'get_address_unspent'],
  [`show the last transactions of ${ADDRESSES.rich}`, 'get_address_transactions'],
  [`which tokens does ${ADDRESSES.rich} hold?`, 'get_address_tokens'],
  [ADDRESSES.rich, 'get_address_balance'],
  ['and its vaults?', 'get_address_vaults', [`What is the balance of ${ADDRESSES.rich}?`]],
  ['and what does it hold?', 'get_address_balance', [`What is the balance of ${ADDRESSES.rich}?`]],
  ['What is the APR of the DFI-BTC pool?', 'get_pool_pair'],
  ['which pool pairs are the biggest?', 'list_pool_pairs'],
  ["What's the price of DFI?", 'get_price'],
  ['Was kostet DFI?', 'get_price'],
  ['show me the DUSD token', 'get_token'],
  ['What is the DFI token used for?', 'wiki'],
  ['what is the reward distribution?', 'get_reward_distribution'],
  ['How much DFI has been burned so far?', 'get_burn'],
  ['Wie viel DFI wurde verbrannt?', 'get_burn'],
  ['How many hours does the lamp burn in winter?', 'wiki'],
  ['What is the circulating supply of DFI?', 'get_supply'],
  ['how many coins are in circulation', 'get_supply'],
  ["What's the latest block?", 'get_latest_block'],
  ['how many vaults are there?', 'get_stats'],
  ["What's the TVL?", 'get_stats'],
  // General questions, and everyday ones that merely share a word, stay with the wiki.
  ...[
    'What is a masternode?',
    'How do I set up a masternode?',
    'What is DeFiChain?',
    'How does liquidity mining work?',
    'What is a vault?',
    'How do I create a vault?',
    'How does the price oracle work?',
    'What is a CFP?',
    'How do I vote on proposals?',
    'What is a pool pair?',
    'What is token economics?',
    'Explain the block reward reduction',
    'What is proof of stake?',
    'How many blocks per day?',
    'how many tokens can I mint',
    'was kostet ein Masternode?',
  ].map((message): [string, string] => [message, 'wiki']),
]

function toolsWith(wiki: Tool, oceanUrl = 'http://127.0.0.1:9'): Tool[] {
  return [mathTool, ...createOceanTools({ url: oceanUrl, network: 'mainnet', timeoutMs: 500, log }), wiki]
}

async function ask(tools: Tool[], message: string, history: string[] = []) {
  const events: AgentEvent[] = []
  const result = await createOfflineAgent(tools, { toolTimeoutMs: 5000 }).run({
    message,
    history: history.map((content) => ({ role: 'human', content })),
    signal: AbortSignal.timeout(10_000),
    log,
    emit: (event) => events.push(event),
  })
  return { ...result, events }
}

t.test('every row names a tool that exists and says why', async (t) => {
  const names = new Set([...toolsWith(createWikiTool(kb)).map((tool) => tool.name), 'capabilities'])
  for (const route of OFFLINE_ROUTES) {
    t.ok(names.has(route.to), `${route.to} exists`)
    t.ok(route.why.length > 10, `${route.to} says why`)
  }
})

t.test('questions reach the tool the table says', async (t) => {
  const tools = toolsWith(createWikiTool(kb))
  for (const [message, to, history = []] of ROUTES) {
    const plan = planOffline(tools, { message, recentHumanMessages: history })
    t.equal(plan.to === 'tool' ? plan.tool.name : plan.to, to, message)
  }
})

t.test('a general question falls back to the wiki when chain data is unavailable', async (t) => {
  const tools = toolsWith(createWikiTool(kb), await unreachableOceanUrl())
  const reply = await ask(tools, 'What was the initial block reward?')
  t.same(reply.tools, ['get_reward_distribution', 'wiki'])
  t.match(reply.answer, /^Live chain data is unavailable right now/)
  t.match(reply.answer, /405 DFI/)
  t.same(
    reply.events.filter((event) => event.type === 'tool_start').map((event) => event.type === 'tool_start' && event.tool),
    ['get_reward_distribution', 'wiki'],
  )

  // A specific thing that cannot be looked up is not a wiki question.
  const specific = await ask(tools, `show vault ${IDS.vault}`)
  t.same(specific.tools, ['get_vault'])
  t.match(specific.answer, /^Live chain data is unavailable right now/)
})

t.test('a general question falls back to the wiki when Ocean finds nothing', async (t) => {
  const fake = await startFakeOcean(t)
  const reply = await ask(toolsWith(createWikiTool(kb), fake.url), 'What is the swap fee of the dXYZ-DFI pool?')
  t.same(reply.tools, ['get_pool_pair', 'wiki'])
  t.match(reply.answer, /There is no dXYZ-DFI pool pair/)
  t.match(reply.answer, /0\.2 percent/)

  // With data, the chain answers and the wiki is not asked.
  const found = await ask(toolsWith(createWikiTool(kb), fake.url), 'What is the APR of the DFI-BTC pool?')
  t.same(found.tools, ['get_pool_pair'])
})

t.test("an empty wiki leaves the chain tool's answer as it is", async (t) => {
  const tools = toolsWith(createWikiTool(await fixtureKnowledgeBase(t, [])), await unreachableOceanUrl())
  const reply = await ask(tools, 'How many masternodes are there?')
  t.same(reply.tools, ['get_masternode_count', 'wiki'])
  t.match(reply.answer, /^Live chain data is unavailable right now[^\n]*$/)
})

// Inputs that made backtracking patterns slow: many partial matches that fail late.
const ADVERSARIAL = [
  'total dfi ',
  'how many pools ',
  'how much ',
  'supply dfi ',
  'dfi coins ',
  'what does ',
  'list pool ',
  'hi ',
  '! ',
  '!',
  '1 percent of ',
  ' ',
  'a',
  '1,000',
  '1 + ',
  '9',
  'f',
  'df1q',
  '8F',
  'block height ',
  'token price of ',
  'proposal vote ',
  'masternode ',
  'and ',
]

function adversarialMessages(length: number): string[] {
  return ADVERSARIAL.flatMap((piece) => {
    const repeated = piece.repeat(Math.ceil(length / piece.length)).slice(0, length - 1)
    return [repeated + '?', repeated + 'x', 'hi' + repeated.slice(2)]
  })
}

/** Best of three, so a busy machine does not make a linear pattern look slow. */
// The least of several tries: other processes on a busy machine only add to the time
// seen (a CI run with the PostgreSQL tests beside it saw 6 ms for a 1.2 ms planner with 3
// tries), while a planner that is not linear takes hundreds of milliseconds on every try.
function fastest(run: () => unknown): number {
  let best = Infinity
  for (let i = 0; i < 7; i++) {
    const started = performance.now()
    run()
    best = Math.min(best, performance.now() - started)
  }
  return best
}

t.test('every routing condition and planner stays fast at the longest message', async (t) => {
  const tools = toolsWith(createWikiTool(kb))
  const byName = new Map(tools.map((tool) => [tool.name, tool]))
  const messages = adversarialMessages(MAX_MESSAGE_CHARS)
  const limitMs = 5
  for (const [index, route] of OFFLINE_ROUTES.entries()) {
    const planner = byName.get(route.to)?.offline
    let worst = { ms: 0, message: '' }
    for (const message of messages) {
      const context = { message, recentHumanMessages: [message] }
      const ms = fastest(() => {
        holds(route.when, context)
        holds(route.unless, context)
        planner?.plan(context)
      })
      if (ms > worst.ms) worst = { ms, message }
    }
    t.ok(worst.ms < limitMs, `row ${index} (${route.to}): worst ${worst.ms.toFixed(2)} ms on "${worst.message.slice(0, 30)}…"`)
  }
  const worstTurn = Math.max(...messages.map((message) => fastest(() => candidateRoutes({ message: message.slice(0, ROUTED_CHARS), recentHumanMessages: [] }))))
  t.ok(worstTurn < limitMs, `the whole table: worst ${worstTurn.toFixed(2)} ms`)
})
