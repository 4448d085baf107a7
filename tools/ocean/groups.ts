// The Ocean reads as the model sees them: six tools grouped by subject, each
// picking its read with an enum, so the tool list costs a fraction of the
// tokens of one schema per read. Every capability of the 22 reads stays: the
// descriptions say what each choice returns. Offline mode and the tests keep
// using the fine-grained tools, which these dispatch to.
import { groupTools } from '../group.ts'
import type { Tool } from '../types.ts'

const NETWORK = { type: 'string', enum: ['mainnet', 'testnet'] } as const
const HEX_ID = { type: 'string', description: '64 hex chars' } as const

export function createOceanToolGroups(reads: Tool[]): Tool[] {
  const byName = new Map(reads.map((tool) => [tool.name, tool]))
  const read = (name: string): Tool => {
    const tool = byName.get(name)
    if (!tool) throw new Error(`no Ocean read named ${name}`)
    return tool
  }
  return [
    groupTools({
      name: 'address',
      description:
        'A DeFiChain address (mainnet 8/d/df1…, testnet 7/t/tf1…). what: balance (UTXO DFI, first 5 tokens), tokens (first 10, incl. dTokens, pool shares), vaults (state, collateral, loan, ratio), transactions (newest 8 UTXO txs), unspent (UTXOs, total).',
      startLine: 'Looking into that address 🔎',
      selector: 'what',
      members: {
        balance: read('get_address_balance'),
        tokens: read('get_address_tokens'),
        vaults: read('get_address_vaults'),
        transactions: read('get_address_transactions'),
        unspent: read('get_address_unspent'),
      },
      properties: { address: { type: 'string' }, network: NETWORK },
      required: ['address'],
    }),
    groupTools({
      name: 'block',
      description: "what: latest (default; current height, hash, time, txs, minter), block (by height or hash), transactions (a block's first 10 txs).",
      startLine: 'Looking up the block 🧱',
      selector: 'what',
      defaultMember: 'latest',
      members: { latest: read('get_latest_block'), block: read('get_block'), transactions: read('get_block_transactions') },
      properties: { block: { type: ['string', 'integer'], description: 'height or hash' }, network: NETWORK },
    }),
    groupTools({
      name: 'lookup',
      description:
        'One item by 64-hex id. kind: transaction (block, inputs, outputs, value), vault (owner, state, scheme, ratio, collateral, loans or liquidation), masternode (state, minted blocks, owner, operator, lock), proposal (governance: title, status, DFI asked, cycles, votes, link).',
      startLine: 'Looking that up on the chain 🔎',
      selector: 'kind',
      members: { transaction: read('get_transaction'), vault: read('get_vault'), masternode: read('get_masternode'), proposal: read('get_governance_proposal') },
      properties: { id: HEX_ID, network: NETWORK },
      required: ['id'],
      rename: { transaction: { id: 'txid' } },
    }),
    groupTools({
      name: 'token',
      description:
        'A token by symbol (DFI, BTC, DUSD, TSLA…) or id (0 is DFI). what: price (oracle price in currency, default USD), info (name, minted, type: DAT, loan token, pool share).',
      startLine: 'Looking up that token 🪙',
      selector: 'what',
      members: { price: read('get_price'), info: read('get_token') },
      properties: { token: { type: ['string', 'integer'] }, currency: { type: 'string' }, network: NETWORK },
      required: ['token'],
    }),
    groupTools({
      name: 'pool',
      description: 'DEX pools. what: list (default; count, 10 largest with APR), pair (id or tokens like DFI-BTC: reserves, ratio, liquidity, APR, volume, commission).',
      startLine: 'Diving into the DEX pools 🏊',
      selector: 'what',
      defaultMember: 'list',
      members: { pair: read('get_pool_pair'), list: read('list_pool_pairs') },
      properties: { pair: { type: ['string', 'integer'] }, network: NETWORK },
    }),
    groupTools({
      name: 'chain',
      description:
        'Chain-wide. what: overview (height, DFI price, TVL, burned, counts, emission, vaults, auctions: "how is the chain doing"), supply (max, minted, burned, circulating), burn (total, address, by source), rewards (block reward split), masternodes (count by lock 0/5/10 years, value locked), proposals (by status, default voting; first 5).',
      startLine: 'Checking the DeFiChain figures 📊',
      selector: 'what',
      members: {
        overview: read('get_stats'),
        supply: read('get_supply'),
        burn: read('get_burn'),
        rewards: read('get_reward_distribution'),
        masternodes: read('get_masternode_count'),
        proposals: read('list_governance_proposals'),
      },
      properties: { status: { type: 'string', enum: ['voting', 'rejected', 'completed', 'all'] }, network: NETWORK },
    }),
  ]
}
