// The three failures a user can tell apart (invalid argument, not found,
// live data unavailable), bounded time, and the caches.
import pino from 'pino'
import t, { type Test } from 'tap'
import { createOceanTools } from '../tools/ocean/index.ts'
import { ToolError, type Tool } from '../tools/types.ts'
import { startFakeOcean, unreachableOceanUrl } from './fakes/ocean.ts'
import { ADDRESSES, IDS } from './fakes/ocean-data.ts'

const log = pino({ level: 'silent' })

function toolsFor(url: string, timeoutMs = 2000) {
  const tools = createOceanTools({ url, network: 'mainnet', timeoutMs, log })
  return (name: string, args: Record<string, unknown> = {}, signal = new AbortController().signal) =>
    (tools.find((tool) => tool.name === name) as Tool).run(args, { signal, log })
}

async function failure(t: Test, promise: Promise<unknown>): Promise<ToolError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  t.type(error, ToolError)
  return error as ToolError
}

t.test('invalid arguments are refused before any request', async (t) => {
  const fake = await startFakeOcean(t)
  const run = toolsFor(fake.url)
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['get_address_balance', { address: '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2' }, /not a valid DeFiChain address/],
    ['get_address_vaults', { address: ADDRESSES.rich, network: 'testnet' }, /is a mainnet address, but testnet was asked for/],
    ['get_address_tokens', {}, /Please give a DeFiChain address/],
    ['get_block', { block: -5 }, /neither a block height/],
    ['get_block', { block: 'yesterday' }, /neither a block height/],
    ['get_transaction', { txid: 'abc123' }, /not a valid transaction id/],
    ['get_masternode', { id: 'zz' }, /not a valid masternode id/],
    ['get_vault', { id: '' }, /not a valid vault id/],
    ['get_governance_proposal', { id: 42 }, /not a valid proposal id/],
    ['list_governance_proposals', { status: 'pending' }, /use one of voting, rejected, completed, all/],
    ['get_pool_pair', { pair: 'DFI' }, /not a pool pair/],
    ['get_token', { token: '../../etc' }, /not a token id or symbol/],
    ['get_price', { token: 'DFI', currency: '$$' }, /not a valid currency symbol/],
    ['get_stats', { network: 'regtest' }, /use "mainnet" or "testnet"/],
  ]
  for (const [name, args, message] of cases) {
    const error = await failure(t, run(name, args))
    t.equal(error.kind, 'invalid_argument', name)
    t.match(error.message, message, name)
  }
  t.equal(fake.requests.length, 0, 'Ocean was never asked')
})

t.test("Ocean's 404s and empty answers become not-found results", async (t) => {
  const fake = await startFakeOcean(t)
  const run = toolsFor(fake.url)
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['get_transaction', { txid: IDS.unknown }, /couldn't find a transaction with id/],
    ['get_masternode', { id: IDS.unknown }, /couldn't find a masternode/],
    ['get_vault', { id: IDS.unknown }, /couldn't find a vault/],
    ['get_governance_proposal', { id: IDS.unknown }, /couldn't find a governance proposal/],
    ['get_token', { token: 9999 }, /no token with id 9999/],
    ['get_token', { token: 'NOPE' }, /no token with the symbol NOPE/],
    ['get_pool_pair', { pair: 999 }, /no pool pair with id 999/],
    ['get_pool_pair', { pair: 'DFI-NOPE' }, /no DFI-NOPE pool pair/],
    // Ocean answers {} (no data) for these rather than a 404.
    ['get_block', { block: 99_999_999 }, /couldn't find a block at height 99,999,999/],
    ['get_block', { block: IDS.unknown }, /couldn't find a block with hash/],
    ['get_price', { token: 'XYZ' }, /no XYZ-USD price/],
  ]
  for (const [name, args, message] of cases) {
    const error = await failure(t, run(name, args))
    t.equal(error.kind, 'not_found', name)
    t.match(error.message, message, name)
  }
  t.ok(fake.count(`/v0/mainnet/transactions/${IDS.unknown}`) >= 1)
})

t.test('a slow Ocean gives "unavailable" within the timeout', async (t) => {
  const fake = await startFakeOcean(t)
  fake.setDelay(3000)
  const run = toolsFor(fake.url, 200)
  const started = Date.now()
  const error = await failure(t, run('get_stats'))
  const elapsed = Date.now() - started
  t.equal(error.kind, 'unavailable')
  t.match(error.message, /^Live chain data is unavailable right now \(the mainnet Ocean API did not answer within 0.2 seconds\)/)
  t.ok(elapsed < 1500, `answered in ${elapsed} ms`)
})

t.test('an unreachable Ocean gives "unavailable" quickly', async (t) => {
  // whale-api-client leaves its timeout timer running after a failed fetch; a short one lets the test exit promptly.
  const run = toolsFor(await unreachableOceanUrl(), 500)
  const started = Date.now()
  const error = await failure(t, run('get_address_balance', { address: ADDRESSES.rich }))
  t.equal(error.kind, 'unavailable')
  t.match(error.message, /Live chain data is unavailable right now \(the mainnet Ocean API could not be reached\)/)
  t.ok(Date.now() - started < 2000)
})

t.test('a proxy error page or an Ocean 503 gives "unavailable"', async (t) => {
  const fake = await startFakeOcean(t)
  const run = toolsFor(fake.url)
  fake.setFailure('html')
  const html = await failure(t, run('get_stats'))
  t.equal(html.kind, 'unavailable')
  fake.setFailure('error')
  const gateway = await failure(t, run('get_supply'))
  t.equal(gateway.kind, 'unavailable')
  t.match(gateway.message, /answered with error 503 BadGateway/)
  fake.setFailure('none')
  t.equal(((await run('get_stats')) as { blockHeight: number }).blockHeight, 3_456_789, 'failures were not cached')
})

t.test("the caller's abort signal ends the wait", async (t) => {
  const fake = await startFakeOcean(t)
  fake.setDelay(900)
  const run = toolsFor(fake.url, 1000)
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 50)
  const started = Date.now()
  const error = await failure(t, run('get_stats', {}, controller.signal))
  t.equal(error.kind, 'unavailable')
  t.match(error.message, /cancelled/)
  t.ok(Date.now() - started < 500)
})

t.test('a second identical call within the TTL makes no request', async (t) => {
  const fake = await startFakeOcean(t)
  const run = toolsFor(fake.url)
  await run('get_stats')
  await run('get_stats')
  await run('get_masternode_count') // shares the cached /stats
  t.equal(fake.count('/v0/mainnet/stats'), 1)

  await run('get_transaction', { txid: IDS.transaction })
  await run('get_transaction', { txid: IDS.transaction.toUpperCase() })
  t.equal(fake.count(`/v0/mainnet/transactions/${IDS.transaction}`), 2, 'one request for the transaction and one for its outputs')

  await run('get_block', { block: IDS.block })
  await run('get_block', { block: IDS.block })
  t.equal(fake.count(`/v0/mainnet/blocks/${IDS.block}`), 1)

  await run('get_latest_block', { network: 'testnet' })
  await run('get_latest_block')
  t.equal(fake.count('/v0/testnet/blocks'), 1, 'networks are cached apart')
  t.equal(fake.count('/v0/mainnet/blocks?size=1'), 1)
})

t.test('identical concurrent calls share one request', async (t) => {
  const fake = await startFakeOcean(t)
  fake.setDelay(100)
  const run = toolsFor(fake.url)
  const results = await Promise.all(Array.from({ length: 5 }, () => run('get_price', { token: 'DFI' })))
  t.equal(fake.count('/v0/mainnet/prices/DFI-USD'), 1)
  for (const result of results) t.equal((result as { price: string }).price, '0.02345678')
})

t.test('live data expires after its TTL', async (t) => {
  const fake = await startFakeOcean(t)
  const run = toolsFor(fake.url)
  const realNow = Date.now
  t.teardown(() => {
    Date.now = realNow
  })
  await run('get_stats')
  Date.now = () => realNow() + 11_000
  await run('get_stats')
  t.equal(fake.count('/v0/mainnet/stats'), 2, 'refetched after ten seconds')
})
