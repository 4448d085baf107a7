// A transaction by id, with its first outputs. Read-only: nothing here sends or tests a transaction.
import type { FromSchema } from 'json-schema-to-ts'
import type { Tool } from '../types.ts'
import { TTL, type Ocean } from './client.ts'
import { formatAmount, formatCount, formatTime, shortId } from './format.ts'
import { findHash, withNetwork } from './intent.ts'
import { requireHash, resolveNetwork, withNetworkParameter } from './validate.ts'

const TRANSACTION_PARAMETERS = withNetworkParameter(
  {
    txid: { type: 'string', description: 'Transaction id, 64 hex characters.' },
  },
  ['txid'],
)

type TransactionArgs = FromSchema<typeof TRANSACTION_PARAMETERS>

export interface TransactionResult {
  network: string
  txid: string
  blockHeight: number
  blockHash: string
  time: string
  inputs: number
  outputs: number
  totalOutputValue: string
  size: number
  firstOutputs: { n: number; value: string; tokenId?: number; type: string }[]
}

const SHOWN_OUTPUTS = 5

export function getTransactionTool(ocean: Ocean): Tool<TransactionArgs, TransactionResult> {
  return {
    name: 'get_transaction',
    description: `A DeFiChain transaction by its id (64 hex characters): block, input and output counts, total output value and the first ${SHOWN_OUTPUTS} outputs.`,
    parameters: TRANSACTION_PARAMETERS,
    startLine: 'Looking up that transaction 🔎',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const txid = requireHash(args.txid, 'transaction id')
      const notFound = `I couldn't find a transaction with id ${txid} on ${network}. It may be on the other network or not confirmed yet.`
      const [transaction, outputs] = await Promise.all([
        ocean.read({ network, key: `transactions/${txid}`, ttlMs: TTL.settled, notFound, fetch: (client) => client.transactions.get(txid) }, context.signal),
        ocean.read(
          {
            network,
            key: `transactions/${txid}/vouts?size=${SHOWN_OUTPUTS}`,
            ttlMs: TTL.settled,
            notFound,
            fetch: async (client) => [...(await client.transactions.getVouts(txid, SHOWN_OUTPUTS))],
          },
          context.signal,
        ),
      ])
      return {
        network,
        txid: transaction.txid,
        blockHeight: transaction.block.height,
        blockHash: transaction.block.hash,
        time: formatTime(transaction.block.time),
        inputs: transaction.vinCount,
        outputs: transaction.voutCount,
        totalOutputValue: transaction.totalVoutValue,
        size: transaction.size,
        firstOutputs: outputs.map((vout) => ({ n: vout.n, value: vout.value, tokenId: vout.tokenId, type: vout.script?.type })),
      }
    },
    offline: {
      plan({ message }) {
        const hash = findHash(message)
        return hash ? withNetwork({ txid: hash }, message) : undefined
      },
      answer(result) {
        const outputs = result.firstOutputs.map((vout) => `• Output ${vout.n}: ${formatAmount(vout.value)}${vout.tokenId ? ` (token ${vout.tokenId})` : ' DFI'}`)
        return [
          `Transaction ${shortId(result.txid)} on ${result.network} 🔎`,
          `• Confirmed in block ${formatCount(result.blockHeight)} at ${result.time}`,
          `• ${formatCount(result.inputs)} input${result.inputs === 1 ? '' : 's'}, ${formatCount(result.outputs)} output${result.outputs === 1 ? '' : 's'}, ${formatAmount(result.totalOutputValue)} DFI out in total`,
          ...outputs,
        ].join('\n')
      },
    },
  }
}
