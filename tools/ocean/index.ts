// The Ocean chain-data tools, all on one client (and so one cache). Which of
// them offline mode picks for a message is agent/offline-routes.ts's business.
import type { Logger } from 'pino'
import type { Tool } from '../types.ts'
import { getAddressBalanceTool, getAddressTokensTool, getAddressTransactionsTool, getAddressUnspentTool, getAddressVaultsTool } from './addresses.ts'
import { getBlockTool, getBlockTransactionsTool, getLatestBlockTool } from './blocks.ts'
import { createOcean } from './client.ts'
import { getGovernanceProposalTool, listGovernanceProposalsTool } from './governance.ts'
import { getMasternodeCountTool, getMasternodeTool } from './masternodes.ts'
import { getPoolPairTool, listPoolPairsTool } from './poolpairs.ts'
import { getPriceTool } from './prices.ts'
import { getBurnTool, getRewardDistributionTool, getStatsTool, getSupplyTool } from './stats.ts'
import { getTokenTool } from './tokens.ts'
import { getTransactionTool } from './transactions.ts'
import { getVaultTool } from './vaults.ts'

export interface OceanToolOptions {
  url: string
  network: 'mainnet' | 'testnet'
  timeoutMs: number
  log?: Logger
}

export function createOceanTools(options: OceanToolOptions): Tool[] {
  const ocean = createOcean(options)
  return [
    getVaultTool(ocean),
    getMasternodeTool(ocean),
    getGovernanceProposalTool(ocean),
    getBlockTransactionsTool(ocean),
    getBlockTool(ocean),
    getTransactionTool(ocean),
    getAddressVaultsTool(ocean),
    getAddressUnspentTool(ocean),
    getAddressTransactionsTool(ocean),
    getAddressTokensTool(ocean),
    getAddressBalanceTool(ocean),
    getMasternodeCountTool(ocean),
    listGovernanceProposalsTool(ocean),
    getPoolPairTool(ocean),
    listPoolPairsTool(ocean),
    getPriceTool(ocean),
    getTokenTool(ocean),
    getRewardDistributionTool(ocean),
    getBurnTool(ocean),
    getSupplyTool(ocean),
    getLatestBlockTool(ocean),
    getStatsTool(ocean),
  ]
}
