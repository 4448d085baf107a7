// Masternodes: one by id, and how many there are (from Ocean's stats).
import type { FromSchema } from 'json-schema-to-ts'
import type { Tool } from '../types.ts'
import { TTL, type Ocean } from './client.ts'
import { formatAmount, formatCount, shortId } from './format.ts'
import { hashInContext, withNetwork } from './intent.ts'
import { NETWORK_ONLY, type NetworkArgs, requireHash, resolveNetwork, withNetworkParameter } from './validate.ts'
import { readStats } from './stats.ts'

const MASTERNODE_PARAMETERS = withNetworkParameter(
  {
    id: { type: 'string', description: 'Masternode id (the 64-hex id of its creation transaction).' },
  },
  ['id'],
)

type MasternodeArgs = FromSchema<typeof MASTERNODE_PARAMETERS>

export interface MasternodeResult {
  network: string
  id: string
  state: string
  mintedBlocks: number
  ownerAddress: string
  operatorAddress: string
  creationHeight: number
  resignHeight?: number
  /** Lock period in weeks: 0, 260 (5 years) or 520 (10 years). */
  timelockWeeks: number
}

export function getMasternodeTool(ocean: Ocean): Tool<MasternodeArgs, MasternodeResult> {
  return {
    name: 'get_masternode',
    description: 'One masternode by id (64 hex characters): state, minted blocks, owner and operator addresses, creation height, lock period.',
    parameters: MASTERNODE_PARAMETERS,
    startLine: 'Looking up that masternode 🖥️',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const id = requireHash(args.id, 'masternode id')
      const node = await ocean.read(
        {
          network,
          key: `masternodes/${id}`,
          ttlMs: TTL.recent,
          notFound: `I couldn't find a masternode with id ${id} on ${network}.`,
          fetch: (client) => client.masternodes.get(id),
        },
        context.signal,
      )
      return {
        network,
        id: node.id,
        state: node.state,
        mintedBlocks: node.mintedBlocks,
        ownerAddress: node.owner?.address,
        operatorAddress: node.operator?.address,
        creationHeight: node.creation?.height,
        resignHeight: node.resign?.height !== undefined && node.resign.height >= 0 ? node.resign.height : undefined,
        timelockWeeks: node.timelock ?? 0,
      }
    },
    offline: {
      plan(context) {
        const id = hashInContext(context)
        return id ? withNetwork({ id }, context.message) : undefined
      },
      answer(result) {
        const lines = [
          `Masternode ${shortId(result.id)} on ${result.network} is ${result.state} 🖥️`,
          `• Minted blocks: ${formatCount(result.mintedBlocks)}`,
          `• Owner: ${result.ownerAddress}`,
          `• Operator: ${result.operatorAddress}`,
          `• Created at block ${formatCount(result.creationHeight)}`,
          `• Lock period: ${lockText(result.timelockWeeks)}`,
        ]
        if (result.resignHeight !== undefined) lines.push(`• Resigned at block ${formatCount(result.resignHeight)}`)
        return lines.join('\n')
      },
    },
  }
}

export interface MasternodeCountResult {
  network: string
  count: number
  byLockPeriod: { weeks: number; count: number; tvlUsd: number }[]
  tvlUsd: number
}

export function getMasternodeCountTool(ocean: Ocean): Tool<NetworkArgs, MasternodeCountResult> {
  return {
    name: 'get_masternode_count',
    description: 'How many masternodes DeFiChain has, split by lock period (none, 5 or 10 years), and the value locked in them in USD.',
    parameters: NETWORK_ONLY,
    startLine: 'Counting the masternodes 🖥️',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const stats = await readStats(ocean, network, context.signal)
      return {
        network,
        count: stats.count?.masternodes,
        byLockPeriod: (stats.masternodes?.locked ?? []).map((lock) => ({ weeks: lock.weeks, count: lock.count, tvlUsd: lock.tvl })),
        tvlUsd: stats.tvl?.masternodes,
      }
    },
    offline: {
      plan: ({ message }) => withNetwork({}, message),
      answer(result) {
        const locks = result.byLockPeriod
          .sort((a, b) => a.weeks - b.weeks)
          .map((lock) => `• ${lock.weeks ? `Locked ${lockText(lock.weeks)}` : 'No lock'}: ${formatCount(lock.count)}`)
        return [
          `There are ${formatCount(result.count)} masternodes on DeFiChain ${result.network} right now 🖥️, securing $${formatAmount(result.tvlUsd)}.`,
          ...locks,
        ].join('\n')
      },
    },
  }
}

function lockText(weeks: number): string {
  if (!weeks) return 'none'
  return weeks % 52 === 0 ? `${weeks / 52} years` : `${weeks} weeks`
}
