// DEX pool pairs: one by id or token pair (DFI-BTC finds BTC-DFI too), and the list.
import type { FromSchema } from 'json-schema-to-ts'
import type { poolpairs as oceanPoolPairs } from '@defichain/whale-api-client'
import { ToolError, type Tool } from '../types.ts'
import type { OceanNetwork } from './address-codec.ts'
import { readWholeList, TTL, type Ocean } from './client.ts'
import { formatAmount, formatCount, formatRatioAsPercent } from './format.ts'
import { isSymbolWord, withNetwork } from './intent.ts'
import { symbolMatches } from './tokens.ts'
import { NETWORK_ONLY, type NetworkArgs, requirePoolPairRef, resolveNetwork, withNetworkParameter } from './validate.ts'

function readAllPoolPairs(ocean: Ocean, network: OceanNetwork, signal: AbortSignal): Promise<oceanPoolPairs.PoolPairData[]> {
  return ocean.read(
    {
      network,
      key: 'poolpairs?all',
      ttlMs: TTL.recent,
      notFound: `Ocean lists no pool pairs on ${network}.`,
      fetch: (client) => readWholeList(client, client.poolpairs.list(200)),
    },
    signal,
  )
}

export interface PoolPairResult {
  network: string
  id: string
  symbol: string
  tokenA: { symbol: string; reserve: string }
  tokenB: { symbol: string; reserve: string }
  /** How many tokenA one tokenB buys (ab) and the reverse (ba). */
  priceRatio: { ab: string; ba: string }
  totalLiquidityUsd?: string
  /** Yearly return as a ratio (0.25 is 25%), as Ocean gives it. */
  apr?: { total: number; reward: number; commission: number }
  volumeUsd?: { h24: number; d30: number }
  commission: string
  tradeEnabled: boolean
}

function summarisePoolPair(pool: oceanPoolPairs.PoolPairData, network: string): PoolPairResult {
  return {
    network,
    id: pool.id,
    symbol: pool.displaySymbol || pool.symbol,
    tokenA: { symbol: pool.tokenA.displaySymbol || pool.tokenA.symbol, reserve: pool.tokenA.reserve },
    tokenB: { symbol: pool.tokenB.displaySymbol || pool.tokenB.symbol, reserve: pool.tokenB.reserve },
    priceRatio: pool.priceRatio,
    totalLiquidityUsd: pool.totalLiquidity?.usd,
    apr: pool.apr,
    volumeUsd: pool.volume,
    commission: pool.commission,
    tradeEnabled: pool.tradeEnabled,
  }
}

const POOL_PAIR_PARAMETERS = withNetworkParameter(
  {
    pair: { type: ['string', 'integer'], description: 'Pool pair id (e.g. 5) or token pair like DFI-BTC (order does not matter).' },
  },
  ['pair'],
)

type PoolPairArgs = FromSchema<typeof POOL_PAIR_PARAMETERS>

export function getPoolPairTool(ocean: Ocean): Tool<PoolPairArgs, PoolPairResult> {
  return {
    name: 'get_pool_pair',
    description: 'One DEX liquidity pool by id or by its two tokens (e.g. DFI-BTC, dTSLA-DUSD): reserves, price ratio, liquidity in USD, APR, volume, commission.',
    parameters: POOL_PAIR_PARAMETERS,
    startLine: 'Diving into that liquidity pool 🏊',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const ref = requirePoolPairRef(args.pair)
      if (ref.id !== undefined) {
        const id = ref.id
        const pool = await ocean.read(
          {
            network,
            key: `poolpairs/${id}`,
            ttlMs: TTL.live,
            notFound: `There is no pool pair with id ${id} on ${network}.`,
            fetch: (client) => client.poolpairs.get(id),
          },
          context.signal,
        )
        return summarisePoolPair(pool, network)
      }
      const [first, second] = ref.tokens as [string, string]
      const pools = await readAllPoolPairs(ocean, network, context.signal)
      const pool = pools.find(
        (candidate) =>
          (symbolMatches(candidate.tokenA, first) && symbolMatches(candidate.tokenB, second)) ||
          (symbolMatches(candidate.tokenA, second) && symbolMatches(candidate.tokenB, first)),
      )
      if (!pool) throw new ToolError(`There is no ${first}-${second} pool pair on ${network}.`, 'not_found')
      return summarisePoolPair(pool, network)
    },
    offline: {
      plan({ message }) {
        const pair = /\b([A-Za-z][A-Za-z0-9.]{0,15})\s*[-/]\s*([A-Za-z][A-Za-z0-9.]{0,15})\b/.exec(message)
        if (pair && isSymbolWord(pair[1]) && isSymbolWord(pair[2])) return withNetwork({ pair: `${pair[1]}-${pair[2]}` }, message)
        const byId = /\bpool(?:\s*pair)?\s+(?:id\s+)?#?(\d{1,6})\b/i.exec(message)
        return byId ? withNetwork({ pair: byId[1] }, message) : undefined
      },
      answer(result) {
        const lines = [
          `The ${result.symbol} pool (id ${result.id}) on ${result.network} 🏊`,
          `• Reserves: ${formatAmount(result.tokenA.reserve)} ${result.tokenA.symbol} and ${formatAmount(result.tokenB.reserve)} ${result.tokenB.symbol}`,
          `• Price: 1 ${result.tokenA.symbol} = ${formatAmount(result.priceRatio.ba)} ${result.tokenB.symbol}; 1 ${result.tokenB.symbol} = ${formatAmount(result.priceRatio.ab)} ${result.tokenA.symbol}`,
        ]
        if (result.totalLiquidityUsd !== undefined) lines.push(`• Liquidity: $${formatAmount(result.totalLiquidityUsd)}`)
        if (result.apr) lines.push(`• APR: ${aprText(result.apr.total)} (rewards ${aprText(result.apr.reward)}, commission ${aprText(result.apr.commission)})`)
        if (result.volumeUsd) lines.push(`• Volume: $${formatAmount(result.volumeUsd.h24)} in 24 h, $${formatAmount(result.volumeUsd.d30)} in 30 days`)
        lines.push(`• Commission: ${formatRatioAsPercent(result.commission)}${result.tradeEnabled ? '' : ' (trading is paused)'}`)
        return lines.join('\n')
      },
    },
  }
}

export interface PoolPairListResult {
  network: string
  count: number
  /** The largest pools by liquidity. */
  top: { id: string; symbol: string; totalLiquidityUsd?: string; apr?: number }[]
}

export function listPoolPairsTool(ocean: Ocean): Tool<NetworkArgs, PoolPairListResult> {
  const shown = 10
  return {
    name: 'list_pool_pairs',
    description: `All DEX pool pairs: how many there are and the ${shown} largest by liquidity, with their APR.`,
    parameters: NETWORK_ONLY,
    startLine: 'Surveying the DEX pools 🏊',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const pools = await readAllPoolPairs(ocean, network, context.signal)
      // Number() only orders the list; the amounts shown stay Ocean's strings.
      const byLiquidity = [...pools].sort((a, b) => Number(b.totalLiquidity?.usd ?? 0) - Number(a.totalLiquidity?.usd ?? 0))
      return {
        network,
        count: pools.length,
        top: byLiquidity.slice(0, shown).map((pool) => ({
          id: pool.id,
          symbol: pool.displaySymbol || pool.symbol,
          totalLiquidityUsd: pool.totalLiquidity?.usd,
          apr: pool.apr?.total,
        })),
      }
    },
    offline: {
      plan: ({ message }) => withNetwork({}, message),
      answer(result) {
        const lines = result.top.map(
          (pool) => `• ${pool.symbol} (id ${pool.id}): $${formatAmount(pool.totalLiquidityUsd)} liquidity${pool.apr === undefined ? '' : `, APR ${aprText(pool.apr)}`}`,
        )
        return [`There are ${formatCount(result.count)} pool pairs on ${result.network} 🏊 The largest by liquidity:`, ...lines].join('\n')
      },
    },
  }
}

/** APR is an estimate, so two decimals are shown (the tool result keeps Ocean's full ratio). */
function aprText(ratio: number): string {
  return `${formatAmount((ratio * 100).toFixed(2))}%`
}
