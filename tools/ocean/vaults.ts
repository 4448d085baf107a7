// A loan vault by id: owner, state, collateral and loans (or its liquidation auction).
import type { FromSchema } from 'json-schema-to-ts'
import type { loan as oceanLoan } from '@defichain/whale-api-client'
import type { Tool } from '../types.ts'
import { TTL, type Ocean } from './client.ts'
import { formatAmount, formatCount, shortId } from './format.ts'
import { hashInContext, withNetwork } from './intent.ts'
import { requireHash, resolveNetwork, withNetworkParameter } from './validate.ts'

const VAULT_PARAMETERS = withNetworkParameter(
  {
    id: { type: 'string', description: 'Vault id (64 hex characters).' },
  },
  ['id'],
)

type VaultArgs = FromSchema<typeof VAULT_PARAMETERS>

interface TokenAmount {
  symbol: string
  amount: string
}

export interface VaultResult {
  network: string
  vaultId: string
  ownerAddress: string
  state: string
  loanScheme: { id: string; minCollateralRatio: string; interestRate: string }
  collateralRatio?: string
  collateralValueUsd?: string
  loanValueUsd?: string
  interestValueUsd?: string
  collateral?: TokenAmount[]
  loans?: TokenAmount[]
  liquidationHeight?: number
  auctionBatches?: number
}

const amounts = (list: oceanLoan.LoanVaultTokenAmount[] | undefined): TokenAmount[] =>
  (list ?? []).slice(0, 10).map((item) => ({ symbol: item.displaySymbol || item.symbol, amount: item.amount }))

export function getVaultTool(ocean: Ocean): Tool<VaultArgs, VaultResult> {
  return {
    name: 'get_vault',
    description:
      'One loan vault by id (64 hex characters): owner, state, loan scheme, collateral ratio, collateral and loan values and tokens, or its liquidation details.',
    parameters: VAULT_PARAMETERS,
    startLine: 'Opening that vault 🏦',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const id = requireHash(args.id, 'vault id')
      const vault = await ocean.read(
        {
          network,
          key: `loans/vaults/${id}`,
          ttlMs: TTL.live,
          notFound: `I couldn't find a vault with id ${id} on ${network}. It may have been closed, or belong to the other network.`,
          fetch: (client) => client.loan.getVault(id),
        },
        context.signal,
      )
      const base = {
        network,
        vaultId: vault.vaultId,
        ownerAddress: vault.ownerAddress,
        state: vault.state,
        loanScheme: { id: vault.loanScheme?.id, minCollateralRatio: vault.loanScheme?.minColRatio, interestRate: vault.loanScheme?.interestRate },
      }
      if (vault.state === 'IN_LIQUIDATION') {
        const liquidated = vault as oceanLoan.LoanVaultLiquidated
        return { ...base, liquidationHeight: liquidated.liquidationHeight, auctionBatches: liquidated.batchCount }
      }
      const active = vault as oceanLoan.LoanVaultActive
      return {
        ...base,
        collateralRatio: active.collateralRatio,
        collateralValueUsd: active.collateralValue,
        loanValueUsd: active.loanValue,
        interestValueUsd: active.interestValue,
        collateral: amounts(active.collateralAmounts),
        loans: amounts(active.loanAmounts),
      }
    },
    offline: {
      plan(context) {
        const id = hashInContext(context)
        return id ? withNetwork({ id }, context.message) : undefined
      },
      answer(result) {
        const lines = [`Vault ${shortId(result.vaultId)} on ${result.network} is ${result.state} 🏦`, `• Owner: ${result.ownerAddress}`]
        if (result.state === 'IN_LIQUIDATION') {
          lines.push(
            `• In liquidation since block ${formatCount(result.liquidationHeight)}, ${formatCount(result.auctionBatches)} auction batch${result.auctionBatches === 1 ? '' : 'es'}`,
          )
          return lines.join('\n')
        }
        const ratio = result.collateralRatio === undefined || result.collateralRatio === '-1' ? 'no loans' : `${formatAmount(result.collateralRatio)}%`
        lines.push(
          `• Collateral: $${formatAmount(result.collateralValueUsd)} (${(result.collateral ?? []).map((item) => `${formatAmount(item.amount)} ${item.symbol}`).join(', ') || 'none'})`,
        )
        lines.push(
          `• Loans: $${formatAmount(result.loanValueUsd)} (${(result.loans ?? []).map((item) => `${formatAmount(item.amount)} ${item.symbol}`).join(', ') || 'none'})`,
        )
        lines.push(
          `• Collateral ratio: ${ratio} (minimum ${formatAmount(result.loanScheme.minCollateralRatio)}%, scheme ${result.loanScheme.id}, interest ${formatAmount(result.loanScheme.interestRate)}%)`,
        )
        return lines.join('\n')
      },
    },
  }
}
