// Offline mode with the Ocean tools, through the real offline agent: the
// answers each tool words (formatted, exact numbers), follow-ups that refer
// back, and what happens when Ocean is down. Which tool a question reaches is
// the table in test/offline-routes.test.ts.
import pino from 'pino'
import t from 'tap'
import { createOfflineAgent } from '../agent/offline.ts'
import { createOceanTools } from '../tools/ocean/index.ts'
import type { Tool } from '../tools/types.ts'
import { startFakeOcean, unreachableOceanUrl } from './fakes/ocean.ts'
import { ADDRESSES, IDS } from './fakes/ocean-data.ts'

const log = pino({ level: 'silent' })

async function answerOffline(tools: Tool[], message: string, recentHumanMessages: string[] = []) {
  const result = await createOfflineAgent(tools).run({
    message,
    history: recentHumanMessages.map((content) => ({ role: 'human', content })),
    signal: AbortSignal.timeout(5000),
    log,
    emit: () => undefined,
  })
  return { tool: result.tools[0], answer: result.answer }
}

const QUESTIONS: [message: string, tool: string, answer: RegExp][] = [
  ["What's the latest block?", 'get_latest_block', /latest mainnet block is 3,456,789/],
  ['what is the current block height', 'get_latest_block', /3,456,789/],
  ['What is the block height on testnet?', 'get_latest_block', /latest testnet block is 1,234,567/],
  ['What is the circulating supply of DFI?', 'get_supply', /Circulating: 743,111,110\.358018 DFI/],
  ['How much DFI has been burned so far?', 'get_burn', /258,123,456\.765432 DFI have been burned/],
  ["What's the price of DFI?", 'get_price', /1 DFI is \$0\.02345678/],
  ['dfi price?', 'get_price', /\$0\.02345678/],
  ['how much is BTC worth today', 'get_price', /1 BTC is \$65,432\.1 /],
  ['What is TSLA-USD at?', 'get_price', /1 TSLA is \$245\.5 /],
  [`What is the balance of ${ADDRESSES.rich}?`, 'get_address_balance', /holds 1,234\.56789012 DFI as UTXO/],
  [ADDRESSES.rich, 'get_address_balance', /1,234\.56789012 DFI/],
  [`which tokens does ${ADDRESSES.rich} hold?`, 'get_address_tokens', /holds 6 tokens[\s\S]*12,345\.6789 dETH/],
  [`how many vaults does ${ADDRESSES.rich} have`, 'get_address_vaults', /has 2 vaults[\s\S]*collateral \$28,912\.345678/],
  [`show the last transactions of ${ADDRESSES.rich}`, 'get_address_transactions', /received 1,233\.26789012 DFI/],
  [`list the UTXOs of ${ADDRESSES.rich}`, 'get_address_unspent', /3 unspent outputs worth 1,234\.56789012 DFI/],
  [`tell me about masternode ${IDS.masternode}`, 'get_masternode', /is ENABLED[\s\S]*Minted blocks: 1,234[\s\S]*10 years/],
  ['How many masternodes are there?', 'get_masternode_count', /There are 11,234 masternodes/],
  ['What are the current governance proposals?', 'list_governance_proposals', /1 voting governance proposal[\s\S]*"Fund the DeFiChain Wiki" \(CFP, 12,345\.6789 DFI/],
  [`what about proposal ${IDS.proposalVoting}?`, 'get_governance_proposal', /is Voting[\s\S]*75\.00%/],
  ['What is the APR of the DFI-BTC pool?', 'get_pool_pair', /dBTC-DFI pool \(id 5\)[\s\S]*APR: 23\.45%/],
  ['which pool pairs are the biggest?', 'list_pool_pairs', /4 pool pairs[\s\S]*dBTC-DFI \(id 5\): \$123,456,789\.12/],
  [`show vault ${IDS.vault}`, 'get_vault', /is ACTIVE[\s\S]*Collateral: \$28,912\.345678 \(1,000,000 DFI, 0\.1 dBTC\)/],
  [`transaction ${IDS.transaction}`, 'get_transaction', /block 3,000,000[\s\S]*1,234\.56789012 DFI out in total/],
  [IDS.transaction, 'get_transaction', /3 outputs/],
  ['What happened in block 3000000?', 'get_block', /Block 3,000,000 on mainnet[\s\S]*Transactions: 2/],
  ['list the transactions in block 3,000,000', 'get_block_transactions', /has 2 transactions/],
  ['how many vaults are there?', 'get_stats', /12,345 open vaults/],
  ["What's the TVL?", 'get_stats', /Total value locked: \$1,234,567,890\.12345/],
  ['show me the DUSD token', 'get_token', /Minted: 98,765,432\.12345678 DUSD/],
  ['what is the reward distribution?', 'get_reward_distribution', /Masternodes: 66\.13 DFI/],
]

t.test('offline questions reach the right tool and get formatted answers', async (t) => {
  const fake = await startFakeOcean(t)
  const tools = createOceanTools({ url: fake.url, network: 'mainnet', timeoutMs: 2000, log })
  for (const [message, tool, answer] of QUESTIONS) {
    const reply = await answerOffline(tools, message)
    t.equal(reply.tool, tool, message)
    t.match(reply.answer, answer, message)
  }
})

t.test('follow-ups reuse the address or id from recent messages', async (t) => {
  const fake = await startFakeOcean(t)
  const tools = createOceanTools({ url: fake.url, network: 'mainnet', timeoutMs: 2000, log })
  const history = [`What is the balance of ${ADDRESSES.rich}?`]
  const vaults = await answerOffline(tools, 'and how many vaults are on it?', history)
  t.equal(vaults.tool, 'get_address_vaults')
  t.match(vaults.answer, new RegExp(`${ADDRESSES.rich} \\(mainnet\\) has 2 vaults`))
  t.equal((await answerOffline(tools, 'what tokens does it hold?', history)).tool, 'get_address_tokens')
  t.equal((await answerOffline(tools, 'and its latest transactions?', history)).tool, 'get_address_transactions')

  // The newest thing mentioned wins: here a transaction came after the address.
  const later = [...history, `show transaction ${IDS.transaction}`]
  t.equal((await answerOffline(tools, 'and how many vaults are on it?', later)).tool, 'get_stats', 'no address to refer to, so the chain-wide count')
  t.equal((await answerOffline(tools, 'is that masternode still enabled?', [`masternode ${IDS.masternode}`])).tool, 'get_masternode')
})

t.test('an invalid address or a not-found gives a clear answer', async (t) => {
  const fake = await startFakeOcean(t)
  const tools = createOceanTools({ url: fake.url, network: 'mainnet', timeoutMs: 2000, log })
  const missing = await answerOffline(tools, `transaction ${IDS.unknown}`)
  t.match(missing.answer, /couldn't find a transaction with id/)
  const wrongNetwork = await answerOffline(tools, `balance of ${ADDRESSES.testnet} on mainnet`)
  t.match(wrongNetwork.answer, /is a testnet address, but mainnet was asked for/)
})

t.test('when Ocean cannot be reached the answer says live data is unavailable, quickly', async (t) => {
  const tools = createOceanTools({ url: await unreachableOceanUrl(), network: 'mainnet', timeoutMs: 500, log })
  const started = Date.now()
  const reply = await answerOffline(tools, 'How many masternodes are there?')
  t.equal(reply.tool, 'get_masternode_count')
  t.match(reply.answer, /^Live chain data is unavailable right now/)
  t.ok(Date.now() - started < 2000)

  const slow = await startFakeOcean(t)
  slow.setDelay(2000)
  const slowTools = createOceanTools({ url: slow.url, network: 'mainnet', timeoutMs: 300, log })
  const slowStarted = Date.now()
  const slowReply = await answerOffline(slowTools, "What's the latest block?")
  t.match(slowReply.answer, /Live chain data is unavailable right now \(the mainnet Ocean API did not answer within 0\.3 seconds\)/)
  t.ok(Date.now() - slowStarted < 1500)
})
