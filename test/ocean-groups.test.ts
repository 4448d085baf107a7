// The grouped Ocean tools the model is offered: every fine-grained read is
// reachable through exactly one group choice, through the real tool runner
// (schema check included), and gives the same result as the read itself.
import pino from 'pino'
import t from 'tap'
import { createToolRunner } from '../agent/run-tool-calls.ts'
import { createOceanToolGroups } from '../tools/ocean/groups.ts'
import { createOceanTools } from '../tools/ocean/index.ts'
import { startFakeOcean } from './fakes/ocean.ts'
import { ADDRESSES, IDS } from './fakes/ocean-data.ts'

const log = pino({ level: 'silent' })

// [group, its arguments, the read it stands for, that read's arguments]
const CASES: [string, Record<string, unknown>, string, Record<string, unknown>][] = [
  ['address', { what: 'balance', address: ADDRESSES.rich }, 'get_address_balance', { address: ADDRESSES.rich }],
  ['address', { what: 'tokens', address: ADDRESSES.rich }, 'get_address_tokens', { address: ADDRESSES.rich }],
  ['address', { what: 'vaults', address: ADDRESSES.rich }, 'get_address_vaults', { address: ADDRESSES.rich }],
  ['address', { what: 'transactions', address: ADDRESSES.rich }, 'get_address_transactions', { address: ADDRESSES.rich }],
  ['address', { what: 'unspent', address: ADDRESSES.rich }, 'get_address_unspent', { address: ADDRESSES.rich }],
  ['address', { what: 'balance', address: ADDRESSES.testnet, network: 'testnet' }, 'get_address_balance', { address: ADDRESSES.testnet, network: 'testnet' }],
  ['block', {}, 'get_latest_block', {}],
  ['block', { what: 'latest', network: 'testnet' }, 'get_latest_block', { network: 'testnet' }],
  ['block', { what: 'block', block: 3_000_000 }, 'get_block', { block: 3_000_000 }],
  ['block', { what: 'transactions', block: IDS.block }, 'get_block_transactions', { block: IDS.block }],
  ['lookup', { kind: 'transaction', id: IDS.transaction }, 'get_transaction', { txid: IDS.transaction }],
  ['lookup', { kind: 'vault', id: IDS.vault }, 'get_vault', { id: IDS.vault }],
  ['lookup', { kind: 'masternode', id: IDS.masternode }, 'get_masternode', { id: IDS.masternode }],
  ['lookup', { kind: 'proposal', id: IDS.proposalVoting }, 'get_governance_proposal', { id: IDS.proposalVoting }],
  ['token', { what: 'price', token: 'dTSLA' }, 'get_price', { token: 'dTSLA' }],
  ['token', { what: 'price', token: 'BTC', currency: 'USD' }, 'get_price', { token: 'BTC', currency: 'USD' }],
  ['token', { what: 'info', token: 15 }, 'get_token', { token: 15 }],
  ['pool', { what: 'pair', pair: 'DFI-BTC' }, 'get_pool_pair', { pair: 'DFI-BTC' }],
  ['pool', {}, 'list_pool_pairs', {}],
  ['chain', { what: 'overview' }, 'get_stats', {}],
  ['chain', { what: 'supply' }, 'get_supply', {}],
  ['chain', { what: 'burn' }, 'get_burn', {}],
  ['chain', { what: 'rewards' }, 'get_reward_distribution', {}],
  ['chain', { what: 'masternodes' }, 'get_masternode_count', {}],
  ['chain', { what: 'proposals' }, 'list_governance_proposals', {}],
  ['chain', { what: 'proposals', status: 'all' }, 'list_governance_proposals', { status: 'all' }],
]

t.test('each group choice runs its read and returns the same result', async (t) => {
  const fake = await startFakeOcean(t)
  const reads = createOceanTools({ url: fake.url, network: 'mainnet', timeoutMs: 2000, log })
  const groups = createOceanToolGroups(reads)
  const runner = createToolRunner(groups, 2000, { unlisted: reads })
  const options = { signal: new AbortController().signal, log }

  const covered = new Set(CASES.map(([, , read]) => read))
  t.same([...covered].sort(), reads.map((read) => read.name).sort(), 'every read is reachable through a group')
  t.same(
    runner.tools.map((tool) => tool.name),
    ['address', 'block', 'lookup', 'token', 'pool', 'chain'],
    'only the groups are offered',
  )

  for (const [group, args, read, readArgs] of CASES) {
    const grouped = await runner.runTool(group, args, options)
    const direct = await runner.runTool(read, readArgs, options)
    t.ok(grouped.ok, `${group} ${JSON.stringify(args)} succeeds`)
    t.same(grouped, direct, `${group} ${JSON.stringify(args)} is ${read}`)
  }
})

t.test("a group refuses a bad choice and passes on its read's own argument errors", async (t) => {
  const fake = await startFakeOcean(t)
  const reads = createOceanTools({ url: fake.url, network: 'mainnet', timeoutMs: 2000, log })
  const runner = createToolRunner(createOceanToolGroups(reads), 2000)
  const options = { signal: new AbortController().signal, log }

  t.match(await runner.runTool('address', { what: 'karma', address: ADDRESSES.rich }, options), { ok: false, kind: 'invalid_arguments' })
  t.match(await runner.runTool('address', { address: ADDRESSES.rich }, options), { ok: false, kind: 'invalid_arguments', error: /what/ })
  t.match(await runner.runTool('chain', { what: 'overview', network: 'regtest' }, options), { ok: false, kind: 'invalid_arguments' })
  t.match(await runner.runTool('lookup', { kind: 'vault', id: 'abc' }, options), { ok: false, kind: 'invalid_argument', error: /not a valid vault id/ })
  t.match(await runner.runTool('block', { what: 'block' }, options), { ok: false, kind: 'invalid_argument', error: /block height/ })
  t.match(await runner.runTool('pool', { what: 'pair' }, options), { ok: false, kind: 'invalid_argument', error: /not a pool pair/ })
})
