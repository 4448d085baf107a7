// The Ocean chain-data tools, in the order offline mode tries them: requests
// naming a specific thing (an id, a block, an address) come before broader
// ones, and the general stats come last, so each question lands on the most
// specific tool that can answer it.
import type { Logger } from 'pino'
import type { Tool } from '../types.ts'
import {
  getAddressBalanceTool,
  getAddressTokensTool,
  getAddressTransactionsTool,
  getAddressUnspentTool,
  getAddressVaultsTool,
} from './addresses.ts'
import { getBlockTool, getBlockTransactionsTool, getLatestBlockTool } from './blocks.ts'
import { createOcean } from './client.ts'
import { getGovernanceProposalTool, listGovernanceProposalsTool } from './governance.ts'
import { getMasternodeCountTool, getMasternodeTool } from './masternodes.ts'
import { getPoolPairTool, listPoolPairsTool } from './poolpairs.ts'
import { getPriceTool } from './prices.ts'
import { getBurnTool, getRewardDistributionTool, getStatsTool, getSupplyTool } from './stats.ts'
import { getTokenTool } from './tokens.ts'
import { getTransactionTool } from './transactions.ts'
import { asksHowOrWhy } from './intent.ts'
import { getVaultTool } from './vaults.ts'

export interface OceanToolOptions {
  url: string
  network: 'mainnet' | 'testnet'
  timeoutMs: number
  log?: Logger
}

export function createOceanTools(options: OceanToolOptions): Tool[] {
  const ocean = createOcean(options)
  const tools: Tool[] = [
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
  return tools.map(leaveHowAndWhyToTheWiki)
}

// "How do I add liquidity to DFI-BTC?" names a pool but asks for steps: offline mode should fall through to the wiki.
function leaveHowAndWhyToTheWiki(tool: Tool): Tool {
  const offline = tool.offline
  if (!offline) return tool
  return { ...tool, offline: { ...offline, plan: (context) => (asksHowOrWhy(context.message) ? undefined : offline.plan(context)) } }
}
