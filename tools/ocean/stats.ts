// Chain-wide statistics: the overview, DFI supply, burns and the block reward split.
import type { stats as oceanStats } from '@defichain/whale-api-client'
import type { Tool } from '../types.ts'
import { TTL, type Ocean } from './client.ts'
import { formatAmount, formatCount } from './format.ts'
import { withNetwork } from './intent.ts'
import { NETWORK_ONLY, resolveNetwork, type NetworkArgs } from './validate.ts'

/** The chain overview, shared (and cached once) by the stats and masternode-count tools. */
export function readStats(ocean: Ocean, network: 'mainnet' | 'testnet', signal: AbortSignal): Promise<oceanStats.StatsData> {
  return ocean.read({ network, key: 'stats', ttlMs: TTL.live, notFound: 'Ocean has no statistics right now.', fetch: (client) => client.stats.get() }, signal)
}

function readSupply(ocean: Ocean, network: 'mainnet' | 'testnet', signal: AbortSignal): Promise<oceanStats.SupplyData> {
  return ocean.read(
    { network, key: 'stats/supply', ttlMs: TTL.live, notFound: 'Ocean has no supply figures right now.', fetch: (client) => client.stats.getSupply() },
    signal,
  )
}

export interface StatsResult {
  network: string
  blockHeight: number
  dfiPriceUsd: number
  tvlUsd: oceanStats.StatsData['tvl']
  burnedDfi: oceanStats.StatsData['burned']
  masternodes: number
  tokens: number
  emissionPerBlock: oceanStats.StatsData['emission']
  loans: { openVaults: number; openAuctions: number; loanTokens: number; collateralTokens: number; collateralValueUsd: number; loanValueUsd: number }
  nodeVersion: string
}

export function getStatsTool(ocean: Ocean): Tool<NetworkArgs, StatsResult> {
  return {
    name: 'get_stats',
    description:
      'Current DeFiChain overview: block height, DFI price in USD, total value locked (DEX, loans, masternodes), burned DFI, ' +
      'masternode and token counts, block emission, open vaults and auctions. Use for general "how is the chain doing" questions.',
    parameters: NETWORK_ONLY,
    startLine: 'Checking the latest DeFiChain stats 📊',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const stats = await readStats(ocean, network, context.signal)
      return {
        network,
        blockHeight: stats.count?.blocks,
        dfiPriceUsd: stats.price?.usd,
        tvlUsd: stats.tvl,
        burnedDfi: stats.burned,
        masternodes: stats.count?.masternodes,
        tokens: stats.count?.tokens,
        emissionPerBlock: stats.emission,
        loans: {
          openVaults: stats.loan?.count?.openVaults,
          openAuctions: stats.loan?.count?.openAuctions,
          loanTokens: stats.loan?.count?.loanTokens,
          collateralTokens: stats.loan?.count?.collateralTokens,
          collateralValueUsd: stats.loan?.value?.collateral,
          loanValueUsd: stats.loan?.value?.loan,
        },
        nodeVersion: stats.net?.subversion,
      }
    },
    offline: {
      plan: ({ message }) => withNetwork({}, message),
      answer(result, _args, { message }) {
        if (/vault/i.test(message)) {
          return `There are ${formatCount(result.loans.openVaults)} open vaults on DeFiChain ${result.network} right now 🏦, holding $${formatAmount(result.loans.collateralValueUsd)} of collateral against $${formatAmount(result.loans.loanValueUsd)} of loans.`
        }
        if (/auction/i.test(message)) return `There are ${formatCount(result.loans.openAuctions)} open vault auctions on DeFiChain ${result.network} right now 🔨.`
        if (/\btokens?\b/i.test(message) && !/tvl|value locked/i.test(message)) return `DeFiChain ${result.network} has ${formatCount(result.tokens)} tokens 🪙.`
        return [
          `Here's DeFiChain ${result.network} right now 🌊`,
          `• Block height: ${formatCount(result.blockHeight)}`,
          `• DFI price: $${formatAmount(result.dfiPriceUsd)}`,
          `• Total value locked: $${formatAmount(result.tvlUsd?.total)} (DEX $${formatAmount(result.tvlUsd?.dex)}, loans $${formatAmount(result.tvlUsd?.loan)}, masternodes $${formatAmount(result.tvlUsd?.masternodes)})`,
          `• Masternodes: ${formatCount(result.masternodes)}`,
          `• Burned: ${formatAmount(result.burnedDfi?.total)} DFI`,
          `• Open vaults: ${formatCount(result.loans.openVaults)}`,
        ].join('\n')
      },
    },
  }
}

export interface SupplyResult {
  network: string
  maxDfi: number
  totalDfi: number
  burnedDfi: number
  circulatingDfi: number
}

export function getSupplyTool(ocean: Ocean): Tool<NetworkArgs, SupplyResult> {
  return {
    name: 'get_supply',
    description: 'DFI supply: maximum, total minted, burned and circulating DFI.',
    parameters: NETWORK_ONLY,
    startLine: 'Counting the DFI supply 🪙',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const supply = await readSupply(ocean, network, context.signal)
      return { network, maxDfi: supply.max, totalDfi: supply.total, burnedDfi: supply.burned, circulatingDfi: supply.circulating }
    },
    offline: {
      plan: ({ message }) => withNetwork({}, message),
      answer(result) {
        return [
          `DFI supply on ${result.network} 🪙`,
          `• Circulating: ${formatAmount(result.circulatingDfi)} DFI`,
          `• Total: ${formatAmount(result.totalDfi)} DFI`,
          `• Burned: ${formatAmount(result.burnedDfi)} DFI`,
          `• Maximum: ${formatAmount(result.maxDfi)} DFI`,
        ].join('\n')
      },
    },
  }
}

export interface BurnResult {
  network: string
  totalBurnedDfi: number
  burnAddress: string
  sentToBurnAddressDfi: number
  feeBurnDfi: number
  emissionBurnDfi: number
  auctionBurnDfi: number
  paybackBurnDfi: number
  burnedTokens: string[]
}

export function getBurnTool(ocean: Ocean): Tool<NetworkArgs, BurnResult> {
  return {
    name: 'get_burn',
    description: 'Burned DFI: the total burned, the burn address and how much was burned through fees, emission, auctions and loan paybacks.',
    parameters: NETWORK_ONLY,
    startLine: 'Looking into the DFI burn 🔥',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const [burn, supply] = await Promise.all([
        ocean.read(
          { network, key: 'stats/burn', ttlMs: TTL.live, notFound: 'Ocean has no burn figures right now.', fetch: (client) => client.stats.getBurn() },
          context.signal,
        ),
        readSupply(ocean, network, context.signal),
      ])
      return {
        network,
        totalBurnedDfi: supply.burned,
        burnAddress: burn.address,
        sentToBurnAddressDfi: burn.amount,
        feeBurnDfi: burn.feeburn,
        emissionBurnDfi: burn.emissionburn,
        auctionBurnDfi: burn.auctionburn,
        paybackBurnDfi: burn.paybackburn,
        burnedTokens: (burn.tokens ?? []).slice(0, 10),
      }
    },
    offline: {
      plan: ({ message }) => withNetwork({}, message),
      answer(result) {
        return [
          `${formatAmount(result.totalBurnedDfi)} DFI have been burned on ${result.network} so far 🔥`,
          `• Sent to the burn address (${result.burnAddress}): ${formatAmount(result.sentToBurnAddressDfi)} DFI`,
          `• Fee burn: ${formatAmount(result.feeBurnDfi)} DFI`,
          `• Emission burn: ${formatAmount(result.emissionBurnDfi)} DFI`,
          `• Auction burn: ${formatAmount(result.auctionBurnDfi)} DFI`,
          `• Loan payback burn: ${formatAmount(result.paybackBurnDfi)} DFI`,
        ].join('\n')
      },
    },
  }
}

export interface RewardDistributionResult {
  network: string
  /** DFI per block for each recipient. */
  perBlockDfi: Record<string, number>
}

export function getRewardDistributionTool(ocean: Ocean): Tool<NetworkArgs, RewardDistributionResult> {
  return {
    name: 'get_reward_distribution',
    description: 'How each block reward is split, in DFI per block: masternodes, community fund, anchors, liquidity mining, loans, options, unallocated.',
    parameters: NETWORK_ONLY,
    startLine: 'Checking how block rewards are shared out 🎁',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const distribution = await ocean.read(
        {
          network,
          key: 'stats/rewards/distribution',
          ttlMs: TTL.recent,
          notFound: 'Ocean has no reward distribution right now.',
          fetch: (client) => client.stats.getRewardDistribution(),
        },
        context.signal,
      )
      return { network, perBlockDfi: { ...distribution } }
    },
    offline: {
      plan: ({ message }) => withNetwork({}, message),
      answer(result) {
        const labels: Record<string, string> = {
          masternode: 'Masternodes',
          community: 'Community fund',
          anchor: 'Anchor rewards',
          liquidity: 'Liquidity mining',
          loan: 'Loans',
          options: 'Options',
          unallocated: 'Unallocated',
        }
        const lines = Object.entries(result.perBlockDfi).map(([key, value]) => `• ${labels[key] ?? key}: ${formatAmount(value)} DFI`)
        return [`Each block's reward on ${result.network} is split like this (DFI per block) 🎁`, ...lines].join('\n')
      },
    },
  }
}
