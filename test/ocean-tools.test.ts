// Each Ocean tool, run through the real whale-api-client against the fake
// Ocean: the values, the paths it asks for, and a small result.
import { Ajv } from 'ajv'
import pino from 'pino'
import t, { type Test } from 'tap'
import { createOceanTools } from '../tools/ocean/index.ts'
import type { Tool } from '../tools/types.ts'
import { startFakeOcean } from './fakes/ocean.ts'
import { ADDRESSES, IDS, MAINNET } from './fakes/ocean-data.ts'

const log = pino({ level: 'silent' })

async function setup(t: Test) {
  const fake = await startFakeOcean(t)
  const tools = createOceanTools({ url: fake.url, network: 'mainnet', timeoutMs: 2000, log })
  const run = async (name: string, args: Record<string, unknown> = {}) => {
    const tool = tools.find((candidate) => candidate.name === name) as Tool
    const result = await tool.run(args, { signal: new AbortController().signal, log })
    t.ok(JSON.stringify(result).length < 2000, `${name} result stays under 2,000 characters`)
    return result as any
  }
  return { fake, tools, run }
}

t.test('every tool has a snake_case name, a description, a schema with network, and a start line', async (t) => {
  const { tools } = await setup(t)
  t.same(
    tools.map((tool) => tool.name),
    [
      'get_vault',
      'get_masternode',
      'get_governance_proposal',
      'get_block_transactions',
      'get_block',
      'get_transaction',
      'get_address_vaults',
      'get_address_unspent',
      'get_address_transactions',
      'get_address_tokens',
      'get_address_balance',
      'get_masternode_count',
      'list_governance_proposals',
      'get_pool_pair',
      'list_pool_pairs',
      'get_price',
      'get_token',
      'get_reward_distribution',
      'get_burn',
      'get_supply',
      'get_latest_block',
      'get_stats',
    ],
  )
  const ajv = new Ajv({ strict: false })
  for (const tool of tools) {
    const validate = ajv.compile(tool.parameters)
    t.ok(validate({}) === !tool.parameters.required?.length, `${tool.name}'s schema compiles and knows its required arguments`)
    t.notOk(validate({ network: 'regtest' }), `${tool.name} refuses an unknown network`)
    t.match(tool.name, /^[a-z]+(_[a-z]+)+$/)
    t.ok(tool.description.length > 40, `${tool.name} has a description`)
    t.equal(tool.parameters.type, 'object')
    t.same((tool.parameters.properties.network as { enum: string[] }).enum, ['mainnet', 'testnet'], `${tool.name} takes network`)
    t.ok(tool.startLine.length > 5)
    t.ok(tool.offline, `${tool.name} can answer offline`)
    t.notMatch(tool.name, /send|test_?tx|rawtx/, 'nothing sends transactions')
  }
})

t.test('stats, supply, burn and reward distribution', async (t) => {
  const { fake, run } = await setup(t)
  const stats = await run('get_stats')
  t.equal(stats.blockHeight, 3_456_789)
  t.equal(stats.masternodes, 11_234)
  t.equal(stats.dfiPriceUsd, 0.02345678)
  t.equal(stats.loans.openVaults, 12_345)
  t.equal(stats.tvlUsd.total, 1234567890.12345)

  const supply = await run('get_supply')
  t.same(supply, { network: 'mainnet', maxDfi: 1200000000, totalDfi: 1001234567.12345, burnedDfi: 258123456.765432, circulatingDfi: 743111110.358018 })

  const burn = await run('get_burn')
  t.equal(burn.totalBurnedDfi, 258123456.765432)
  t.equal(burn.burnAddress, '8defichainBurnAddressXXXXXXXdRQkSm')
  t.equal(burn.feeBurnDfi, 350000.25)

  const rewards = await run('get_reward_distribution')
  t.equal(rewards.perBlockDfi.masternode, 66.13)
  t.equal(rewards.perBlockDfi.community, 9.79)

  t.same(
    [...new Set(fake.requests.map((path) => path.split('?')[0]))],
    ['/v0/mainnet/stats', '/v0/mainnet/stats/supply', '/v0/mainnet/stats/burn', '/v0/mainnet/stats/rewards/distribution'],
    'the real Ocean paths',
  )
})

t.test('blocks and transactions', async (t) => {
  const { fake, run } = await setup(t)
  const latest = await run('get_latest_block')
  t.equal(latest.height, 3_456_789)
  t.equal(latest.hash, IDS.latestBlock)
  t.equal(fake.requests[0], '/v0/mainnet/blocks?size=1')

  const byHeight = await run('get_block', { block: 3_000_000 })
  t.equal(byHeight.hash, IDS.block)
  t.equal(byHeight.transactionCount, 2)
  t.equal(byHeight.time, '2023-11-14 22:13:20 UTC')
  const byHash = await run('get_block', { block: IDS.block })
  t.equal(byHash.height, 3_000_000)

  const transactions = await run('get_block_transactions', { block: '3000000' })
  t.equal(transactions.blockHash, IDS.block)
  t.equal(transactions.transactionCount, 2)
  t.same(transactions.transactions[1], { txid: IDS.transaction, inputs: 2, outputs: 3, totalOutputValue: '1234.56789012' })
  t.ok(fake.requests.includes(`/v0/mainnet/blocks/${IDS.block}/transactions?size=10`))

  const tx = await run('get_transaction', { txid: IDS.transaction })
  t.equal(tx.blockHeight, 3_000_000)
  t.equal(tx.totalOutputValue, '1234.56789012')
  t.same(tx.firstOutputs[1], { n: 1, value: '234.06789012', tokenId: undefined, type: 'witness_v0_keyhash' })
  t.ok(fake.requests.includes(`/v0/mainnet/transactions/${IDS.transaction}/vouts?size=5`))
})

t.test('address tools', async (t) => {
  const { fake, run } = await setup(t)
  const balance = await run('get_address_balance', { address: ADDRESSES.rich })
  t.equal(balance.dfiUtxoBalance, '1234.56789012')
  t.equal(balance.tokenCount, 6)
  t.equal(balance.tokens.length, 5, 'the list is summarised')
  t.ok(fake.requests.includes(`/v0/mainnet/address/${ADDRESSES.rich}/balance`))

  const tokens = await run('get_address_tokens', { address: ADDRESSES.rich })
  t.equal(tokens.count, 6)
  t.same(tokens.tokens[3], { symbol: 'dBTC-DFI', amount: '3.30000000', isLiquidityToken: true })

  const vaults = await run('get_address_vaults', { address: ADDRESSES.rich })
  t.equal(vaults.count, 2)
  t.same(vaults.vaults[0], { vaultId: IDS.vault, state: 'ACTIVE', collateralValueUsd: '28912.345678', loanValueUsd: '10000.5', collateralRatio: '289' })
  t.same(vaults.vaults[1], { vaultId: IDS.liquidatedVault, state: 'IN_LIQUIDATION' })

  const history = await run('get_address_transactions', { address: ADDRESSES.rich })
  t.equal(history.shown, 3)
  t.same(history.transactions[1].direction, 'out')
  t.equal(history.transactions[0].value, '1233.26789012')

  const unspent = await run('get_address_unspent', { address: ADDRESSES.rich })
  t.equal(unspent.count, 3)
  t.equal(unspent.totalValue, '1234.56789012', 'summed exactly')
  t.ok(fake.requests.includes(`/v0/mainnet/address/${ADDRESSES.rich}/transactions/unspent?size=100`))

  const empty = await run('get_address_balance', { address: ADDRESSES.empty })
  t.equal(empty.dfiUtxoBalance, '0')
  t.equal(empty.tokenCount, 0)
})

t.test('a testnet address is looked up on testnet even when mainnet is the default', async (t) => {
  const { fake, run } = await setup(t)
  const balance = await run('get_address_balance', { address: ADDRESSES.testnet })
  t.equal(balance.network, 'testnet')
  t.equal(balance.dfiUtxoBalance, '42.5')
  t.ok(fake.requests.includes(`/v0/testnet/address/${ADDRESSES.testnet}/balance`))
  const latest = await run('get_latest_block', { network: 'testnet' })
  t.equal(latest.height, 1_234_567)
})

t.test('tokens by id or symbol, pool pairs and prices', async (t) => {
  const { fake, run } = await setup(t)
  t.equal((await run('get_token', { token: 15 })).symbol, 'DUSD')
  t.ok(fake.requests.includes('/v0/mainnet/tokens/15'))
  const tesla = await run('get_token', { token: 'dtsla' })
  t.equal(tesla.id, '18')
  t.equal(tesla.minted, '4321.5')
  const zeta = await run('get_token', { token: 'ZETA' })
  t.equal(zeta.id, '400', 'found on the second page of the token list')
  t.ok(
    fake.requests.some((path) => path.startsWith('/v0/mainnet/tokens?size=200&next=')),
    'followed the next page',
  )

  const pool = await run('get_pool_pair', { pair: 'DFI-BTC' })
  t.equal(pool.id, '5', 'pair order does not matter')
  t.same(pool.tokenA, { symbol: 'dBTC', reserve: '123.45678901' })
  t.equal(pool.totalLiquidityUsd, '123456789.12')
  t.equal((await run('get_pool_pair', { pair: '17' })).symbol, 'DUSD-DFI')

  const pools = await run('list_pool_pairs')
  t.equal(pools.count, MAINNET.poolpairs.length)
  t.same(
    pools.top.map((entry: { id: string }) => entry.id),
    ['5', '4', '17', '19'],
    'largest liquidity first',
  )

  const price = await run('get_price', { token: 'DFI' })
  t.same(price, {
    network: 'mainnet',
    token: 'DFI',
    currency: 'USD',
    price: '0.02345678',
    activeOracles: 3,
    totalOracles: 4,
    blockHeight: 3_456_780,
    time: '2023-11-14 22:30:00 UTC',
  })
  t.equal((await run('get_price', { token: 'dTSLA' })).price, '245.5', 'dTokens are priced by their underlying')
  t.equal((await run('get_price', { token: 'BTC-USD' })).price, '65432.1')
  t.ok(fake.requests.includes('/v0/mainnet/prices/DFI-USD'))
})

t.test('masternodes, governance and vaults', async (t) => {
  const { fake, run } = await setup(t)
  const node = await run('get_masternode', { id: IDS.masternode })
  t.equal(node.state, 'ENABLED')
  t.equal(node.mintedBlocks, 1234)
  t.equal(node.timelockWeeks, 520)
  t.equal(node.resignHeight, undefined)

  const count = await run('get_masternode_count')
  t.equal(count.count, 11_234)
  t.same(count.byLockPeriod[2], { weeks: 520, count: 2000, tvlUsd: 20000000.25 })

  const voting = await run('list_governance_proposals')
  t.equal(voting.status, 'voting')
  t.equal(voting.count, 1)
  t.equal(voting.proposals[0].title, 'Fund the DeFiChain Wiki')
  t.ok(fake.requests.some((path) => path.startsWith('/v0/mainnet/governance/proposals?size=100&status=voting')))
  t.equal((await run('list_governance_proposals', { status: 'all' })).count, 2)

  const proposal = await run('get_governance_proposal', { id: IDS.proposalVoting })
  t.equal(proposal.amountDfi, '12345.6789')
  t.equal(proposal.votesYesPercent, '75.00%')

  const vault = await run('get_vault', { id: IDS.vault })
  t.equal(vault.collateralValueUsd, '28912.345678')
  t.same(vault.loans, [{ symbol: 'DUSD', amount: '10000.5' }])
  t.same(vault.loanScheme, { id: 'MIN150', minCollateralRatio: '150', interestRate: '5' })
  t.ok(fake.requests.includes(`/v0/mainnet/loans/vaults/${IDS.vault}`))
  const liquidated = await run('get_vault', { id: IDS.liquidatedVault })
  t.equal(liquidated.state, 'IN_LIQUIDATION')
  t.equal(liquidated.auctionBatches, 2)
})
