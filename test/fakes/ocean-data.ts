// Chain data the fake Ocean serves, shaped like Ocean's real responses, with
// values the tests assert. Amounts are strings where Ocean sends strings.
import { createHash } from 'node:crypto'

/** A stable 64-hex id for a label, so fixtures look like real hashes. */
export const hex = (label: string): string => createHash('sha256').update(label).digest('hex')

export const ADDRESSES = {
  /** Real mainnet bech32 address (from the DeFiChain wiki); rich in the fake. */
  rich: 'df1qw2yusvjqctn6p4esyfm5ajgsu5ek8zddvhv8jm',
  /** Real mainnet legacy address; empty in the fake. */
  empty: '8RUNjYgCHkT56t4C38YaaDvUQcY4HozdcD',
  /** Real mainnet P2SH address (the community fund). */
  p2sh: 'dZcHjYhKtEM88TtZLjp314H2xZjkztXtRc',
  /** Real testnet P2SH address; only the testnet fake knows it. */
  testnet: 'tbRQNwSTJ3rqGbFnx17ng4BuGyz3s4fEtH',
  /** The testnet burn address (P2PKH). */
  testnetBurn: '7DefichainBurnAddressXXXXXXXdMUE5n',
} as const

export const IDS = {
  latestBlock: hex('block-3456789'),
  block: hex('block-3000000'),
  transaction: hex('tx-1'),
  masternode: hex('masternode-1'),
  proposalVoting: hex('proposal-voting'),
  proposalCompleted: hex('proposal-completed'),
  vault: hex('vault-active'),
  liquidatedVault: hex('vault-liquidated'),
  unknown: hex('nothing-here'),
}

const blockTime = 1_700_000_000

export function block(height: number, hash: string, transactionCount: number) {
  return {
    id: hash,
    hash,
    previousHash: hex(`block-${height - 1}`),
    height,
    version: 536870912,
    time: blockTime + (height - 3_000_000) * 30,
    medianTime: blockTime + (height - 3_000_000) * 30 - 60,
    transactionCount,
    difficulty: 45678901234.5678,
    masternode: IDS.masternode,
    minter: '8KRsoeCRKHUFFmAGGJbRBAgraXiUPUVuXn',
    minterBlockCount: 1234,
    reward: '405.04',
    stakeModifier: hex(`stake-${height}`),
    merkleroot: hex(`merkle-${height}`),
    size: 12345,
    sizeStripped: 12000,
    weight: 48000,
  }
}

export const MAINNET = {
  stats: {
    count: { blocks: 3_456_789, tokens: 213, prices: 42, masternodes: 11_234 },
    tvl: { total: 1234567890.12345, dex: 987654321.5, loan: 123456789.25, masternodes: 123456779.37345 },
    burned: { total: 258123456.765432, address: 156000000.1, fee: 350000.25, auction: 123456.789, payback: 1234567.89, emission: 100415431.736432 },
    price: { usd: 0.02345678, usdt: 0.0234 },
    masternodes: {
      locked: [
        { weeks: 0, tvl: 80000000.5, count: 8000 },
        { weeks: 260, tvl: 12340000, count: 1234 },
        { weeks: 520, tvl: 20000000.25, count: 2000 },
      ],
    },
    emission: { total: 405.04, masternode: 135.04, dex: 103.08, community: 19.99, anchor: 0.081, burned: 146.849 },
    loan: {
      count: { schemes: 6, loanTokens: 40, collateralTokens: 12, openVaults: 12_345, openAuctions: 7 },
      value: { collateral: 50000000.1234, loan: 20000000.5 },
    },
    blockchain: { difficulty: 45678901234.5678 },
    net: { version: 4010800, subversion: '/DeFiChain:4.1.8/', protocolversion: 70038 },
  },
  supply: { max: 1200000000, total: 1001234567.12345, burned: 258123456.765432, circulating: 743111110.358018 },
  burn: {
    address: '8defichainBurnAddressXXXXXXXdRQkSm',
    amount: 156000000.1,
    tokens: ['100.5@BTC', '2000@DUSD'],
    feeburn: 350000.25,
    emissionburn: 100415431.736432,
    auctionburn: 123456.789,
    paybackburn: 1234567.89,
    paybackburntokens: [],
    dexfeetokens: [],
    dfipaybackfee: 0,
    dfipaybacktokens: [],
    paybackfees: [],
    paybacktokens: [],
    dfip2203: [],
    dfip2206f: [],
  },
  rewardDistribution: { masternode: 66.13, community: 9.79, anchor: 0.04, liquidity: 50.48, loan: 49.98, options: 0, unallocated: 228.62 },
  blocks: [block(3_456_789, IDS.latestBlock, 3), block(3_456_788, hex('block-3456788'), 1), block(3_000_000, IDS.block, 2)],
  blockTransactions: {
    [IDS.block]: [
      { txid: hex('block-3000000-tx-0'), vinCount: 1, voutCount: 2, totalVoutValue: '405.04' },
      { txid: IDS.transaction, vinCount: 2, voutCount: 3, totalVoutValue: '1234.56789012' },
    ],
  } as Record<string, { txid: string; vinCount: number; voutCount: number; totalVoutValue: string }[]>,
  transaction: {
    id: IDS.transaction,
    order: 1,
    block: { hash: IDS.block, height: 3_000_000, time: blockTime, medianTime: blockTime - 60 },
    txid: IDS.transaction,
    hash: IDS.transaction,
    version: 4,
    size: 380,
    vSize: 299,
    weight: 1193,
    lockTime: 0,
    vinCount: 2,
    voutCount: 3,
    totalVoutValue: '1234.56789012',
  },
  vouts: [
    { id: `${IDS.transaction}00`, txid: IDS.transaction, n: 0, value: '1000.5', script: { hex: '0014aa', type: 'witness_v0_keyhash' } },
    { id: `${IDS.transaction}01`, txid: IDS.transaction, n: 1, value: '234.06789012', script: { hex: '0014bb', type: 'witness_v0_keyhash' } },
    { id: `${IDS.transaction}02`, txid: IDS.transaction, n: 2, value: '0', script: { hex: '6a', type: 'nulldata' } },
  ],
  addressBalance: { [ADDRESSES.rich]: '1234.56789012' } as Record<string, string>,
  addressTokens: {
    [ADDRESSES.rich]: [
      addressToken('0', 'DFI', 'DFI', '100.5'),
      addressToken('2', 'BTC', 'dBTC', '0.12345678'),
      addressToken('15', 'DUSD', 'DUSD', '2500'),
      addressToken('5', 'BTC-DFI', 'dBTC-DFI', '3.30000000', true),
      addressToken('18', 'TSLA', 'dTSLA', '1.5'),
      addressToken('1', 'ETH', 'dETH', '12345.6789'),
    ],
  } as Record<string, ReturnType<typeof addressToken>[]>,
  addressTransactions: {
    [ADDRESSES.rich]: [
      activity(hex('a-tx-3'), 'vout', '1233.26789012', 3_456_000),
      activity(hex('a-tx-2'), 'vin', '5', 3_400_000),
      activity(hex('a-tx-1'), 'vout', '6.3', 3_300_000),
    ],
  } as Record<string, ReturnType<typeof activity>[]>,
  addressUnspent: {
    [ADDRESSES.rich]: [unspent(hex('u-1'), 0, '1.1', 3_300_000), unspent(hex('u-2'), 1, '0.2', 3_400_000), unspent(hex('u-3'), 0, '1233.26789012', 3_456_000)],
  } as Record<string, ReturnType<typeof unspent>[]>,
  tokens: [
    token('0', 'DFI', 'DFI', 'Default Defi token', { minted: '0' }),
    token('1', 'ETH', 'dETH', 'Ether', { minted: '23456.78901234' }),
    token('2', 'BTC', 'dBTC', 'Bitcoin', { minted: '123.45678901' }),
    token('5', 'BTC-DFI', 'dBTC-DFI', 'Bitcoin-Default Defi token', { minted: '0', isLPS: true }),
    token('15', 'DUSD', 'DUSD', 'Decentralized USD', { minted: '98765432.12345678', isLoanToken: true }),
    token('18', 'TSLA', 'dTSLA', 'Tesla Inc', { minted: '4321.5', isLoanToken: true }),
    // Enough custom tokens that the list spans two pages of 200.
    ...Array.from({ length: 230 }, (_, index) => token(String(100 + index), `CUSTOM${index}`, `CUSTOM${index}`, `Custom token ${index}`, { isDAT: false })),
    token('400', 'ZETA', 'ZETA', 'Zeta (on the second page)', { isDAT: false, minted: '1000000' }),
  ],
  poolpairs: [
    poolpair('4', ['1', 'ETH', 'dETH', '1234.5'], ['0', 'DFI', 'DFI', '9876543.21'], '40000000.5', 0.1234),
    poolpair('5', ['2', 'BTC', 'dBTC', '123.45678901'], ['0', 'DFI', 'DFI', '34567890.12345678'], '123456789.12', 0.2345),
    poolpair('17', ['15', 'DUSD', 'DUSD', '5000000'], ['0', 'DFI', 'DFI', '200000000'], '9000000', 0.5),
    poolpair('19', ['18', 'TSLA', 'dTSLA', '1000'], ['15', 'DUSD', 'DUSD', '245500'], '490000.5', 0.3),
  ],
  prices: {
    'DFI-USD': priceTicker('DFI', 'USD', '0.02345678', 3_456_780),
    'BTC-USD': priceTicker('BTC', 'USD', '65432.1', 3_456_780),
    'TSLA-USD': priceTicker('TSLA', 'USD', '245.5', 3_456_780),
  } as Record<string, ReturnType<typeof priceTicker>>,
  masternodes: {
    [IDS.masternode]: {
      id: IDS.masternode,
      sort: '00000000',
      state: 'ENABLED',
      mintedBlocks: 1234,
      owner: { address: '8KRsoeCRKHUFFmAGGJbRBAgraXiUPUVuXn' },
      operator: { address: '8KRsoeCRKHUFFmAGGJbRBAgraXiUPUVuXn' },
      creation: { height: 1_234_567 },
      resign: { tx: '0000000000000000000000000000000000000000000000000000000000000000', height: -1 },
      timelock: 520,
    },
  } as Record<string, unknown>,
  proposals: [
    proposal(IDS.proposalVoting, 'Fund the DeFiChain Wiki', 'CommunityFundProposal', 'Voting', '12345.6789'),
    proposal(IDS.proposalCompleted, 'Confidence in the roadmap', 'VoteOfConfidence', 'Completed'),
  ],
  vaults: {
    [IDS.vault]: {
      vaultId: IDS.vault,
      loanScheme: { id: 'MIN150', minColRatio: '150', interestRate: '5' },
      ownerAddress: ADDRESSES.rich,
      state: 'ACTIVE',
      informativeRatio: '289.12345678',
      collateralRatio: '289',
      collateralValue: '28912.345678',
      loanValue: '10000.5',
      interestValue: '12.34',
      collateralAmounts: [vaultAmount('0', 'DFI', '1000000'), vaultAmount('2', 'dBTC', '0.1')],
      loanAmounts: [vaultAmount('15', 'DUSD', '10000.5')],
      interestAmounts: [vaultAmount('15', 'DUSD', '12.34')],
    },
    [IDS.liquidatedVault]: {
      vaultId: IDS.liquidatedVault,
      loanScheme: { id: 'MIN150', minColRatio: '150', interestRate: '5' },
      ownerAddress: ADDRESSES.rich,
      state: 'IN_LIQUIDATION',
      liquidationHeight: 3_456_000,
      liquidationPenalty: 5,
      batchCount: 2,
      batches: [],
    },
  },
}

export const TESTNET = {
  stats: { ...MAINNET.stats, count: { ...MAINNET.stats.count, blocks: 1_234_567, masternodes: 42 } },
  blocks: [block(1_234_567, hex('testnet-block-1234567'), 1)],
  addressBalance: { [ADDRESSES.testnet]: '42.5' } as Record<string, string>,
}

function addressToken(id: string, symbol: string, displaySymbol: string, amount: string, isLPS = false) {
  return { id, amount, symbol, displaySymbol, symbolKey: symbol, name: symbol, isDAT: true, isLPS, isLoanToken: false }
}

function activity(txid: string, type: 'vin' | 'vout', value: string, height: number) {
  return {
    id: `${txid}-${type}`,
    hid: hex(`hid-${txid}`),
    type,
    typeHex: type === 'vin' ? '00' : '01',
    txid,
    block: { hash: hex(`block-${height}`), height, time: blockTime + (height - 3_000_000) * 30, medianTime: blockTime },
    script: { type: 'witness_v0_keyhash', hex: '0014aa' },
    value,
  }
}

function unspent(txid: string, n: number, value: string, height: number) {
  return {
    id: `${txid}-${n}`,
    hid: hex(`hid-${txid}`),
    sort: `${height}`,
    block: { hash: hex(`block-${height}`), height, time: blockTime, medianTime: blockTime },
    script: { type: 'witness_v0_keyhash', hex: '0014aa' },
    vout: { txid, n, value },
  }
}

function token(id: string, symbol: string, displaySymbol: string, name: string, extra: { minted?: string; isLPS?: boolean; isLoanToken?: boolean; isDAT?: boolean }) {
  return {
    id,
    symbol,
    displaySymbol,
    symbolKey: symbol,
    name,
    decimal: 8,
    limit: '0',
    mintable: !extra.isLPS,
    tradeable: true,
    isDAT: extra.isDAT ?? true,
    isLPS: extra.isLPS ?? false,
    isLoanToken: extra.isLoanToken ?? false,
    finalized: true,
    minted: extra.minted ?? '0',
    creation: { tx: hex(`token-${id}`), height: 100_000 + Number(id) },
    destruction: { tx: '0000000000000000000000000000000000000000000000000000000000000000', height: -1 },
  }
}

type PoolToken = [id: string, symbol: string, displaySymbol: string, reserve: string]

function poolpair(id: string, a: PoolToken, b: PoolToken, liquidityUsd: string, apr: number) {
  const side = ([tokenId, symbol, displaySymbol, reserve]: PoolToken) => ({ id: tokenId, name: symbol, symbol, displaySymbol, reserve, blockCommission: '0' })
  return {
    id,
    symbol: `${a[1]}-${b[1]}`,
    displaySymbol: `${a[2]}-${b[2]}`,
    name: `${a[1]}-${b[1]}`,
    status: true,
    tokenA: side(a),
    tokenB: side(b),
    priceRatio: { ab: id === '5' ? '0.00000357' : '0.1', ba: id === '5' ? '280000.12345678' : '10' },
    commission: '0.002',
    totalLiquidity: { token: '1000', usd: liquidityUsd },
    tradeEnabled: true,
    ownerAddress: '8UAhRuUFCyFUHEPD7qvtj8Zy2HxF5HH5nb',
    rewardPct: '0.1',
    rewardLoanPct: '0',
    creation: { tx: hex(`pool-${id}`), height: 466_822 },
    apr: { total: apr, reward: apr - 0.0234, commission: 0.0234 },
    volume: { h24: 1234567.5, d30: 45678901.25 },
  }
}

function priceTicker(tokenSymbol: string, currency: string, amount: string, height: number) {
  return {
    id: `${tokenSymbol}-${currency}`,
    sort: `${height}`,
    price: {
      id: `${tokenSymbol}-${currency}-${height}`,
      key: `${tokenSymbol}-${currency}`,
      sort: `${height}`,
      token: tokenSymbol,
      currency,
      aggregated: { amount, weightage: 30, oracles: { active: 3, total: 4 } },
      block: { hash: hex(`block-${height}`), height, time: blockTime + 1000, medianTime: blockTime + 1000 },
    },
  }
}

function proposal(proposalId: string, title: string, type: string, status: string, amount?: string) {
  return {
    proposalId,
    title,
    context: 'https://github.com/DeFiCh/dfips/issues/999',
    contextHash: '',
    type,
    status,
    amount,
    currentCycle: 1,
    totalCycles: 2,
    creationHeight: 3_400_000,
    cycleEndHeight: 3_500_000,
    proposalEndHeight: 3_600_000,
    payoutAddress: amount ? ADDRESSES.rich : undefined,
    votingPeriod: 130_000,
    approvalThreshold: '50.00%',
    quorum: '1.00%',
    votesPossible: 11_234,
    votesPresent: 2000,
    votesPresentPct: '17.80%',
    votesYes: 1500,
    votesYesPct: '75.00%',
    fee: 10,
  }
}

function vaultAmount(id: string, symbol: string, amount: string) {
  return { id, amount, symbol, displaySymbol: symbol, symbolKey: symbol, name: symbol }
}
