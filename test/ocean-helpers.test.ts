// The Ocean tools' building blocks: address checks, argument validation,
// exact number formatting and the TTL cache.
import t from 'tap'
import { decodeAddress } from '../tools/ocean/address-codec.ts'
import { createTtlCache } from '../tools/ocean/cache.ts'
import { formatAmount, formatRatioAsPercent, sumAmounts } from '../tools/ocean/format.ts'
import { addressInContext, findHeight, hashInContext } from '../tools/ocean/intent.ts'
import { requireAddress, requireBlockId, requireHash, requireHeight, requirePoolPairRef, requireTokenRef, resolveNetwork } from '../tools/ocean/validate.ts'
import { ToolError } from '../tools/types.ts'
import { ADDRESSES, IDS } from './fakes/ocean-data.ts'

t.test('real DeFiChain addresses decode to their network and kind', async (t) => {
  t.same(decodeAddress(ADDRESSES.rich), { network: 'mainnet', kind: 'bech32' })
  t.same(decodeAddress(ADDRESSES.empty), { network: 'mainnet', kind: 'p2pkh' })
  t.same(decodeAddress(ADDRESSES.p2sh), { network: 'mainnet', kind: 'p2sh' })
  t.same(decodeAddress('8defichainBurnAddressXXXXXXXdRQkSm'), { network: 'mainnet', kind: 'p2pkh' })
  t.same(decodeAddress(ADDRESSES.testnet), { network: 'testnet', kind: 'p2sh' })
  t.same(decodeAddress(ADDRESSES.testnetBurn), { network: 'testnet', kind: 'p2pkh' })
  t.same(decodeAddress(ADDRESSES.rich.toUpperCase()), { network: 'mainnet', kind: 'bech32' }, 'bech32 may be all upper case')
})

t.test('malformed and foreign addresses are refused', async (t) => {
  const bad = [
    'df1qw2yusvjqctn6p4esyfm5ajgsu5ek8zddvhv8jn', // bech32 checksum broken
    '8RUNjYgCHkT56t4C38YaaDvUQcY4HozdcE', // base58check checksum broken
    '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', // bitcoin
    'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', // bitcoin bech32
    'Df1qw2yusvjqctn6p4esyfm5ajgsu5ek8zddvhv8jm', // mixed case
    '8RUNjYgCHkT56t4C38YaaDvUQcY4Hozd0D', // 0 is not base58
    '',
  ]
  for (const address of bad) t.equal(decodeAddress(address), undefined, address)
})

t.test('requireAddress takes the network from the address and refuses a mismatch', async (t) => {
  t.same(requireAddress(` ${ADDRESSES.testnet} `, undefined, 'mainnet'), { address: ADDRESSES.testnet, network: 'testnet' })
  const mismatch = t.throws(() => requireAddress(ADDRESSES.testnet, 'mainnet', 'mainnet')) as unknown as ToolError
  t.equal(mismatch.kind, 'invalid_argument')
  t.match(mismatch.message, /is a testnet address, but mainnet was asked for/)
  const invalid = t.throws(() => requireAddress('hello', undefined, 'mainnet')) as unknown as ToolError
  t.equal(invalid.kind, 'invalid_argument')
  t.match(invalid.message, /not a valid DeFiChain address.*start with 8, d or df1.*7, t or tf1/)
})

t.test('heights, hashes, block ids, tokens, pairs and networks are validated', async (t) => {
  t.equal(requireHeight('1,234,567'), 1234567)
  t.equal(requireHeight(0), 0)
  for (const bad of [-1, 1.5, 'abc', '99999999999', '']) {
    t.equal((t.throws(() => requireHeight(bad)) as unknown as ToolError).kind, 'invalid_argument', String(bad))
  }
  t.equal(requireHash(IDS.block.toUpperCase(), 'block hash'), IDS.block)
  t.match((t.throws(() => requireHash('abc', 'transaction id')) as unknown as Error).message, /not a valid transaction id; it should be 64 hexadecimal characters/)
  t.same(requireBlockId('3000000'), { height: 3000000 })
  t.same(requireBlockId(IDS.block), { hash: IDS.block })
  t.throws(() => requireBlockId('latest'))
  t.same(requireTokenRef('#15'), { id: '15' })
  t.same(requireTokenRef('dTSLA'), { symbol: 'dTSLA' })
  t.throws(() => requireTokenRef('<script>'))
  t.same(requirePoolPairRef('DFI-BTC'), { tokens: ['DFI', 'BTC'] })
  t.same(requirePoolPairRef('btc / dfi'), { tokens: ['btc', 'dfi'] })
  t.same(requirePoolPairRef(5), { id: '5' })
  t.throws(() => requirePoolPairRef('DFI'))
  t.equal(resolveNetwork(undefined, 'testnet'), 'testnet')
  t.equal(resolveNetwork('MainNet', 'testnet'), 'mainnet')
  t.match((t.throws(() => resolveNetwork('regtest', 'mainnet')) as unknown as Error).message, /use "mainnet" or "testnet"/)
})

t.test('amounts are formatted from their digits, exactly', async (t) => {
  t.equal(formatAmount('1234567.12345678'), '1,234,567.12345678')
  t.equal(formatAmount('3.30000000'), '3.3')
  t.equal(formatAmount('0.00000001'), '0.00000001')
  t.equal(formatAmount('-1000'), '-1,000')
  t.equal(formatAmount(1234567890.12345), '1,234,567,890.12345')
  t.equal(formatAmount(1e-7), '0.0000001')
  t.equal(formatAmount(2e21), '2,000,000,000,000,000,000,000')
  t.equal(formatAmount(undefined), 'unknown')
  t.equal(formatAmount('not a number'), 'not a number')
  t.equal(formatRatioAsPercent('0.002'), '0.2%')
  t.equal(formatRatioAsPercent('0.5'), '50%')
  t.equal(formatRatioAsPercent('1.23456'), '123.456%')
  t.equal(sumAmounts(['0.1', '0.2']), '0.3')
  t.equal(sumAmounts(['1.1', '0.2', '1233.26789012']), '1234.56789012')
  t.equal(sumAmounts([]), '0')
  t.equal(sumAmounts(['-5', '2.5']), '-2.5')
})

t.test('the cache keeps values for their TTL and shares in-flight loads', async (t) => {
  let now = 1000
  const cache = createTtlCache({ now: () => now, maxEntries: 2 })
  let loads = 0
  const load = async () => ++loads
  t.equal(await cache.get('a', 100, load), 1)
  t.equal(await cache.get('a', 100, load), 1, 'within the TTL')
  now += 101
  t.equal(await cache.get('a', 100, load), 2, 'after the TTL')

  const [x, y] = await Promise.all([cache.get('b', 100, load), cache.get('b', 100, load)])
  t.equal(x, 3)
  t.equal(y, 3, 'concurrent identical calls share one load')

  await t.rejects(cache.get('c', 100, async () => Promise.reject(new Error('boom'))))
  t.equal(await cache.get('c', 100, load), 4, 'failures are not cached')
  t.ok(cache.size <= 2, 'the cache is bounded')
})

t.test('intent helpers find heights and refer back to the newest address or id', async (t) => {
  t.equal(findHeight('show me block 1,234,567 please'), 1234567)
  t.equal(findHeight('what is at block height #42?'), 42)
  t.equal(findHeight('what is the block height?'), undefined)
  const context = (message: string, recent: string[]) => ({ message, recentHumanMessages: recent })
  t.equal(addressInContext(context('and how many vaults are on it?', [`balance of ${ADDRESSES.rich}`])), ADDRESSES.rich)
  t.equal(
    addressInContext(context('and how many vaults are on it?', [`balance of ${ADDRESSES.rich}`, `tx ${IDS.transaction}`])),
    undefined,
    'newest mention was a transaction',
  )
  t.equal(hashInContext(context('and what about that one?', [`balance of ${ADDRESSES.rich}`, `tx ${IDS.transaction}`])), IDS.transaction)
  t.equal(addressInContext(context('how many vaults are there?', [`balance of ${ADDRESSES.rich}`])), undefined, 'no reference back')
})
