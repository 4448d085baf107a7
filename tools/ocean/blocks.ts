// Blocks: the latest one, one by height or hash, and a block's transactions.
import type { FromSchema } from 'json-schema-to-ts'
import type { blocks as oceanBlocks } from '@defichain/whale-api-client'
import type { Tool } from '../types.ts'
import type { OceanNetwork } from './address-codec.ts'
import { TTL, type Ocean } from './client.ts'
import { formatAmount, formatCount, formatTime, shortId } from './format.ts'
import { findHash, findHeight, withNetwork } from './intent.ts'
import { NETWORK_ONLY, NETWORK_PARAMETER, type NetworkArgs, requireBlockId, resolveNetwork, withNetworkParameter } from './validate.ts'

interface BlockSummary {
  height: number
  hash: string
  time: string
  transactionCount: number
  minter: string
  masternode: string
  reward: string
  size: number
  difficulty: number
}

function summariseBlock(block: oceanBlocks.Block): BlockSummary {
  return {
    height: block.height,
    hash: block.hash,
    time: formatTime(block.time),
    transactionCount: block.transactionCount,
    minter: block.minter,
    masternode: block.masternode,
    reward: block.reward,
    size: block.size,
    difficulty: block.difficulty,
  }
}

function describeBlock(block: BlockSummary, network: string): string {
  return [
    `Block ${formatCount(block.height)} on ${network} 🧱`,
    `• Hash: ${block.hash}`,
    `• Time: ${block.time}`,
    `• Transactions: ${formatCount(block.transactionCount)}`,
    `• Minted by: ${block.minter || 'unknown'}`,
    `• Size: ${formatCount(block.size)} bytes`,
  ].join('\n')
}

/** Reads a block by height or hash; heights settle after a short while, hashes never change. */
function readBlock(ocean: Ocean, network: OceanNetwork, id: { height?: number; hash?: string }, signal: AbortSignal): Promise<oceanBlocks.Block> {
  const key = id.hash ?? String(id.height)
  const what = id.hash ? `with hash ${id.hash}` : `at height ${formatCount(id.height)}`
  return ocean.read(
    {
      network,
      key: `blocks/${key}`,
      ttlMs: id.hash ? TTL.settled : TTL.recent,
      notFound: `I couldn't find a block ${what} on ${network}. If it's a height, it may be higher than the current chain tip.`,
      fetch: (client) => client.blocks.get(key),
    },
    signal,
  )
}

export interface BlockResult extends BlockSummary {
  network: string
}

export function getLatestBlockTool(ocean: Ocean): Tool<NetworkArgs, BlockResult> {
  return {
    name: 'get_latest_block',
    description: 'The newest block on DeFiChain: the current block height, its hash, time, transaction count and minter.',
    parameters: NETWORK_ONLY,
    startLine: 'Fetching the latest DeFiChain block 🧱',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const block = await ocean.read(
        {
          network,
          key: 'blocks?size=1',
          ttlMs: TTL.live,
          notFound: `Ocean has no blocks for ${network} yet.`,
          fetch: async (client) => (await client.blocks.list(1))[0],
        },
        context.signal,
      )
      return { network, ...summariseBlock(block) }
    },
    offline: {
      plan: ({ message }) => withNetwork({}, message),
      answer(result) {
        return `The latest ${result.network} block is ${formatCount(result.height)} 🧱, minted at ${result.time} with ${formatCount(result.transactionCount)} transaction${result.transactionCount === 1 ? '' : 's'} (hash ${shortId(result.hash)}).`
      },
    },
  }
}

const BLOCK_PARAMETERS = withNetworkParameter(
  {
    block: { type: ['string', 'integer'], description: 'Block height (e.g. 3000000) or block hash (64 hex characters).' },
  },
  ['block'],
)

type BlockArgs = FromSchema<typeof BLOCK_PARAMETERS>

export function getBlockTool(ocean: Ocean): Tool<BlockArgs, BlockResult> {
  return {
    name: 'get_block',
    description: 'One DeFiChain block by height (a whole number) or by hash (64 hex characters): time, transaction count, minter, size.',
    parameters: BLOCK_PARAMETERS,
    startLine: 'Looking up that block 🧱',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const id = requireBlockId(args.block)
      return { network, ...summariseBlock(await readBlock(ocean, network, id, context.signal)) }
    },
    offline: {
      plan({ message }) {
        const height = findHeight(message)
        if (height !== undefined) return withNetwork({ block: height }, message)
        const hash = findHash(message)
        return hash && !/\b(tx|txid|transaction)\b/i.test(message) ? withNetwork({ block: hash }, message) : undefined
      },
      answer(result) {
        return describeBlock(result, result.network)
      },
    },
  }
}

export interface BlockTransactionsResult {
  network: string
  blockHeight: number
  blockHash: string
  transactionCount: number
  shown: number
  transactions: { txid: string; inputs: number; outputs: number; totalOutputValue: string }[]
}

const SHOWN_TRANSACTIONS = 10

export function getBlockTransactionsTool(ocean: Ocean): Tool<BlockArgs, BlockTransactionsResult> {
  return {
    name: 'get_block_transactions',
    description: `The transactions in one block (by height or hash): the count and the first ${SHOWN_TRANSACTIONS} with inputs, outputs and output value.`,
    parameters: {
      type: 'object',
      properties: {
        block: { type: ['string', 'integer'], description: 'Block height or block hash (64 hex characters).' },
        network: NETWORK_PARAMETER,
      },
      required: ['block'],
      additionalProperties: false,
    },
    startLine: "Listing that block's transactions 🧾",
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const block = await readBlock(ocean, network, requireBlockId(args.block), context.signal)
      const transactions = await ocean.read(
        {
          network,
          key: `blocks/${block.hash}/transactions?size=${SHOWN_TRANSACTIONS}`,
          ttlMs: TTL.settled,
          notFound: `I couldn't find the transactions of block ${block.hash} on ${network}.`,
          fetch: async (client) => [...(await client.blocks.getTransactions(block.hash, SHOWN_TRANSACTIONS))],
        },
        context.signal,
      )
      return {
        network,
        blockHeight: block.height,
        blockHash: block.hash,
        transactionCount: block.transactionCount,
        shown: transactions.length,
        transactions: transactions.map((tx) => ({ txid: tx.txid, inputs: tx.vinCount, outputs: tx.voutCount, totalOutputValue: tx.totalVoutValue })),
      }
    },
    offline: {
      plan({ message }) {
        const height = findHeight(message)
        if (height !== undefined) return withNetwork({ block: height }, message)
        const hash = findHash(message)
        return hash ? withNetwork({ block: hash }, message) : undefined
      },
      answer(result) {
        const lines = result.transactions.map((tx) => `• ${shortId(tx.txid)}: ${tx.inputs} in, ${tx.outputs} out, ${formatAmount(tx.totalOutputValue)} DFI out`)
        const more = result.transactionCount > result.shown ? `\n…and ${formatCount(result.transactionCount - result.shown)} more.` : ''
        return (
          [
            `Block ${formatCount(result.blockHeight)} on ${result.network} has ${formatCount(result.transactionCount)} transaction${result.transactionCount === 1 ? '' : 's'} 🧾`,
            ...lines,
          ].join('\n') + more
        )
      },
    },
  }
}
