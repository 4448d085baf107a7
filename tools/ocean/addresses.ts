// One address: DFI UTXO balance, token balances, vaults, recent transactions and unspent outputs.
import type { address as oceanAddress, loan as oceanLoan, ApiPagedResponse, WhaleApiClient } from '@defichain/whale-api-client'
import type { FromSchema } from 'json-schema-to-ts'
import type { OfflineContext, Tool } from '../types.ts'
import type { OceanNetwork } from './address-codec.ts'
import { TTL, type Ocean } from './client.ts'
import { formatAmount, formatCount, formatTime, shortId, sumAmounts } from './format.ts'
import { addressInContext, withNetwork } from './intent.ts'
import { requireAddress, withNetworkParameter } from './validate.ts'

const ADDRESS_PARAMETERS = withNetworkParameter(
  {
    address: { type: 'string', description: 'DeFiChain address: mainnet starts with 8, d or df1; testnet with 7, t or tf1.' },
  },
  ['address'],
)

type AddressArgs = FromSchema<typeof ADDRESS_PARAMETERS>

/** Lists are summarised: a count and the first few, so a result stays small. */
const SHOWN = 5
const PAGE = 100

interface Page<T> {
  items: T[]
  /** True when Ocean has more than one page, so the count is a lower bound. */
  more: boolean
}

function readList<T>(
  ocean: Ocean,
  network: OceanNetwork,
  key: string,
  signal: AbortSignal,
  fetch: (client: WhaleApiClient) => Promise<ApiPagedResponse<T>>,
): Promise<Page<T>> {
  return ocean.read(
    {
      network,
      key,
      ttlMs: TTL.recent,
      notFound: `Ocean has nothing for ${key} on ${network}.`,
      fetch: async (client) => {
        const page = await fetch(client)
        return { items: [...page], more: page.hasNext }
      },
    },
    signal,
  )
}

function countText(page: { count: number; more: boolean }): string {
  return page.more ? `more than ${formatCount(page.count)}` : formatCount(page.count)
}

/** The address in the message, or one said earlier that the message refers back to. */
function planAddress(context: OfflineContext): AddressArgs | undefined {
  const address = addressInContext(context)
  return address ? withNetwork({ address }, context.message) : undefined
}

interface TokenBalance {
  symbol: string
  amount: string
  isLiquidityToken: boolean
}

function readTokens(ocean: Ocean, network: OceanNetwork, address: string, signal: AbortSignal): Promise<Page<oceanAddress.AddressToken>> {
  return readList(ocean, network, `address/${address}/tokens?size=${PAGE}`, signal, (client) => client.address.listToken(address, PAGE))
}

function tokenBalance(token: oceanAddress.AddressToken): TokenBalance {
  return { symbol: token.displaySymbol || token.symbol, amount: token.amount, isLiquidityToken: token.isLPS }
}

export interface AddressBalanceResult {
  network: string
  address: string
  dfiUtxoBalance: string
  tokenCount: number
  moreTokens: boolean
  tokens: TokenBalance[]
}

export function getAddressBalanceTool(ocean: Ocean): Tool<AddressArgs, AddressBalanceResult> {
  return {
    name: 'get_address_balance',
    description: `An address's DFI balance held as UTXO, plus how many tokens it holds and the first ${SHOWN} token balances (DFI held as a token shows there as DFI).`,
    parameters: ADDRESS_PARAMETERS,
    startLine: 'Checking the balance of that address 💰',
    async run(args, context) {
      const { address, network } = requireAddress(args.address, args.network, ocean.defaultNetwork)
      const [balance, tokens] = await Promise.all([
        ocean.read(
          {
            network,
            key: `address/${address}/balance`,
            ttlMs: TTL.recent,
            notFound: `Ocean has no balance for ${address} on ${network}.`,
            fetch: (client) => client.address.getBalance(address),
          },
          context.signal,
        ),
        readTokens(ocean, network, address, context.signal),
      ])
      return {
        network,
        address,
        dfiUtxoBalance: balance,
        tokenCount: tokens.items.length,
        moreTokens: tokens.more,
        tokens: tokens.items.slice(0, SHOWN).map(tokenBalance),
      }
    },
    offline: {
      plan: planAddress,
      answer(result) {
        const lines = [`💰 ${result.address} (${result.network}) holds ${formatAmount(result.dfiUtxoBalance)} DFI as UTXO.`]
        if (result.tokenCount === 0) lines.push('It holds no tokens.')
        else {
          lines.push(`It also holds ${countText({ count: result.tokenCount, more: result.moreTokens })} token${result.tokenCount === 1 ? '' : 's'}:`)
          lines.push(...result.tokens.map((token) => `• ${formatAmount(token.amount)} ${token.symbol}`))
          if (result.tokenCount > result.tokens.length) lines.push(`…and ${formatCount(result.tokenCount - result.tokens.length)} more.`)
        }
        return lines.join('\n')
      },
    },
  }
}

export interface AddressTokensResult {
  network: string
  address: string
  count: number
  more: boolean
  tokens: TokenBalance[]
}

export function getAddressTokensTool(ocean: Ocean): Tool<AddressArgs, AddressTokensResult> {
  const shown = 10
  return {
    name: 'get_address_tokens',
    description: `The token balances of an address (DFI as a token, dTokens, liquidity pool shares): the count and the first ${shown}.`,
    parameters: ADDRESS_PARAMETERS,
    startLine: 'Counting the tokens at that address 🪙',
    async run(args, context) {
      const { address, network } = requireAddress(args.address, args.network, ocean.defaultNetwork)
      const tokens = await readTokens(ocean, network, address, context.signal)
      return { network, address, count: tokens.items.length, more: tokens.more, tokens: tokens.items.slice(0, shown).map(tokenBalance) }
    },
    offline: {
      plan: planAddress,
      answer(result) {
        if (result.count === 0) return `${result.address} (${result.network}) holds no tokens right now 🪙.`
        return [
          `${result.address} (${result.network}) holds ${countText(result)} token${result.count === 1 ? '' : 's'} 🪙`,
          ...result.tokens.map((token) => `• ${formatAmount(token.amount)} ${token.symbol}${token.isLiquidityToken ? ' (pool share)' : ''}`),
          ...(result.count > result.tokens.length ? [`…and ${formatCount(result.count - result.tokens.length)} more.`] : []),
        ].join('\n')
      },
    },
  }
}

interface VaultSummary {
  vaultId: string
  state: string
  collateralValueUsd?: string
  loanValueUsd?: string
  collateralRatio?: string
}

function summariseVault(vault: oceanLoan.LoanVaultActive | oceanLoan.LoanVaultLiquidated): VaultSummary {
  if (vault.state === 'IN_LIQUIDATION') return { vaultId: vault.vaultId, state: vault.state }
  const active = vault as oceanLoan.LoanVaultActive
  return {
    vaultId: active.vaultId,
    state: active.state,
    collateralValueUsd: active.collateralValue,
    loanValueUsd: active.loanValue,
    collateralRatio: active.collateralRatio,
  }
}

export interface AddressVaultsResult {
  network: string
  address: string
  count: number
  more: boolean
  vaults: VaultSummary[]
}

export function getAddressVaultsTool(ocean: Ocean): Tool<AddressArgs, AddressVaultsResult> {
  return {
    name: 'get_address_vaults',
    description: `The loan vaults owned by an address: how many, and the first ${SHOWN} with state, collateral value, loan value and collateral ratio.`,
    parameters: ADDRESS_PARAMETERS,
    startLine: 'Looking for vaults owned by that address 🏦',
    async run(args, context) {
      const { address, network } = requireAddress(args.address, args.network, ocean.defaultNetwork)
      const vaults = await readList(ocean, network, `address/${address}/vaults?size=${PAGE}`, context.signal, (client) => client.address.listVault(address, PAGE))
      return { network, address, count: vaults.items.length, more: vaults.more, vaults: vaults.items.slice(0, SHOWN).map(summariseVault) }
    },
    offline: {
      plan: planAddress,
      answer(result) {
        if (result.count === 0) return `${result.address} (${result.network}) has no vaults 🏦.`
        const lines = result.vaults.map((vault) =>
          vault.collateralValueUsd === undefined
            ? `• ${shortId(vault.vaultId)}: ${vault.state}`
            : `• ${shortId(vault.vaultId)}: ${vault.state}, collateral $${formatAmount(vault.collateralValueUsd)}, loans $${formatAmount(vault.loanValueUsd)}, ratio ${formatAmount(vault.collateralRatio)}%`,
        )
        return [`${result.address} (${result.network}) has ${countText(result)} vault${result.count === 1 ? '' : 's'} 🏦`, ...lines].join('\n')
      },
    },
  }
}

export interface AddressTransactionsResult {
  network: string
  address: string
  shown: number
  more: boolean
  transactions: { txid: string; direction: 'in' | 'out'; value: string; tokenId?: number; blockHeight: number; time: string }[]
}

export function getAddressTransactionsTool(ocean: Ocean): Tool<AddressArgs, AddressTransactionsResult> {
  const shown = 8
  return {
    name: 'get_address_transactions',
    description: `The most recent UTXO transactions of an address (newest first, up to ${shown}): txid, in or out, value, block height and time.`,
    parameters: ADDRESS_PARAMETERS,
    startLine: 'Reading the recent transactions of that address 🧾',
    async run(args, context) {
      const { address, network } = requireAddress(args.address, args.network, ocean.defaultNetwork)
      const activity = await readList(ocean, network, `address/${address}/transactions?size=${shown}`, context.signal, (client) =>
        client.address.listTransaction(address, shown),
      )
      return {
        network,
        address,
        shown: activity.items.length,
        more: activity.more,
        transactions: activity.items.map((item) => ({
          txid: item.txid,
          direction: item.type === 'vin' ? 'out' : 'in',
          value: item.value,
          tokenId: item.tokenId,
          blockHeight: item.block.height,
          time: formatTime(item.block.time),
        })),
      }
    },
    offline: {
      plan: planAddress,
      answer(result) {
        if (result.shown === 0) return `${result.address} (${result.network}) has no transactions yet 🧾.`
        const lines = result.transactions.map(
          (tx) =>
            `• ${tx.time}, block ${formatCount(tx.blockHeight)}: ${tx.direction === 'in' ? 'received' : 'sent'} ${formatAmount(tx.value)} DFI (tx ${shortId(tx.txid)})`,
        )
        return [`The latest ${result.shown} transaction${result.shown === 1 ? '' : 's'} of ${result.address} (${result.network}) 🧾`, ...lines].join('\n')
      },
    },
  }
}

export interface AddressUnspentResult {
  network: string
  address: string
  count: number
  more: boolean
  totalValue: string
  outputs: { txid: string; n: number; value: string; blockHeight: number }[]
}

export function getAddressUnspentTool(ocean: Ocean): Tool<AddressArgs, AddressUnspentResult> {
  return {
    name: 'get_address_unspent',
    description: `The unspent transaction outputs (UTXOs) of an address: how many, their total DFI value, and the first ${SHOWN}.`,
    parameters: ADDRESS_PARAMETERS,
    startLine: 'Gathering the unspent outputs of that address 🧺',
    async run(args, context) {
      const { address, network } = requireAddress(args.address, args.network, ocean.defaultNetwork)
      const unspent = await readList(ocean, network, `address/${address}/transactions/unspent?size=${PAGE}`, context.signal, (client) =>
        client.address.listTransactionUnspent(address, PAGE),
      )
      return {
        network,
        address,
        count: unspent.items.length,
        more: unspent.more,
        totalValue: sumAmounts(unspent.items.map((item) => item.vout.value)),
        outputs: unspent.items.slice(0, SHOWN).map((item) => ({ txid: item.vout.txid, n: item.vout.n, value: item.vout.value, blockHeight: item.block.height })),
      }
    },
    offline: {
      plan: planAddress,
      answer(result) {
        if (result.count === 0) return `${result.address} (${result.network}) has no unspent outputs 🧺.`
        const total = result.more ? `at least ${formatAmount(result.totalValue)}` : formatAmount(result.totalValue)
        return [
          `${result.address} (${result.network}) has ${countText(result)} unspent output${result.count === 1 ? '' : 's'} worth ${total} DFI 🧺`,
          ...result.outputs.map((output) => `• ${formatAmount(output.value)} DFI in ${shortId(output.txid)}:${output.n} (block ${formatCount(output.blockHeight)})`),
        ].join('\n')
      },
    },
  }
}
