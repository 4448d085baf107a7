// On-chain governance: the list of proposals (CFPs and votes of confidence) and one by id.
import type { FromSchema } from 'json-schema-to-ts'
import type { governance as oceanGovernance } from '@defichain/whale-api-client'
import type { Tool } from '../types.ts'
import { TTL, type Ocean } from './client.ts'
import { formatAmount, formatCount, shortId } from './format.ts'
import { hashInContext, withNetwork } from './intent.ts'
import { optionalEnum, requireHash, resolveNetwork, withNetworkParameter } from './validate.ts'

const STATUSES = ['voting', 'rejected', 'completed', 'all'] as const
type Status = (typeof STATUSES)[number]

const PROPOSAL_LIST_PARAMETERS = withNetworkParameter(
  {
    status: { type: 'string', enum: [...STATUSES], description: 'Which proposals; default voting (the ones open for votes now).' },
  },
  [],
)

type ProposalListArgs = FromSchema<typeof PROPOSAL_LIST_PARAMETERS>

interface ProposalSummary {
  proposalId: string
  title: string
  type: string
  status: string
  amountDfi?: string
  cycle: string
}

function summariseProposal(proposal: oceanGovernance.GovernanceProposal): ProposalSummary {
  return {
    proposalId: proposal.proposalId,
    title: proposal.title,
    type: proposal.type,
    status: proposal.status,
    amountDfi: proposal.amount,
    cycle: `${proposal.currentCycle} of ${proposal.totalCycles}`,
  }
}

export interface ProposalListResult {
  network: string
  status: Status
  count: number
  more: boolean
  proposals: ProposalSummary[]
}

const LIST_SIZE = 100
const SHOWN = 5

export function listGovernanceProposalsTool(ocean: Ocean): Tool<ProposalListArgs, ProposalListResult> {
  return {
    name: 'list_governance_proposals',
    description: `DeFiChain governance proposals (community fund proposals and votes of confidence), filtered by status (voting, rejected, completed or all; default voting): how many and the first ${SHOWN}.`,
    parameters: PROPOSAL_LIST_PARAMETERS,
    startLine: 'Checking the governance proposals 🗳️',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const status = optionalEnum(args.status, STATUSES, 'voting', 'proposal status')
      const page = await ocean.read(
        {
          network,
          key: `governance/proposals?status=${status}&size=${LIST_SIZE}`,
          ttlMs: TTL.recent,
          notFound: `Ocean has no governance proposals for ${network}.`,
          fetch: async (client) => {
            const response = await client.governance.listGovProposals({
              status: status as NonNullable<oceanGovernance.GovernanceListGovProposalsOptions['status']>,
              size: LIST_SIZE,
            })
            return { items: [...response], more: response.hasNext }
          },
        },
        context.signal,
      )
      return { network, status, count: page.items.length, more: page.more, proposals: page.items.slice(0, SHOWN).map(summariseProposal) }
    },
    offline: {
      plan({ message }) {
        const status: Status = /\brejected\b/i.test(message)
          ? 'rejected'
          : /\b(completed|past|finished)\b/i.test(message)
            ? 'completed'
            : /\ball\b/i.test(message)
              ? 'all'
              : 'voting'
        return withNetwork({ status }, message)
      },
      answer(result) {
        const label = result.status === 'all' ? '' : `${result.status} `
        if (result.count === 0) return `There are no ${label}governance proposals on ${result.network} right now 🗳️.`
        const lines = result.proposals.map(
          (proposal) =>
            `• "${proposal.title}" (${proposal.type === 'CommunityFundProposal' ? 'CFP' : 'vote of confidence'}${proposal.amountDfi ? `, ${formatAmount(proposal.amountDfi)} DFI` : ''}, cycle ${proposal.cycle}): ${proposal.status}`,
        )
        const count = result.more ? `more than ${formatCount(result.count)}` : formatCount(result.count)
        return [`There ${result.count === 1 ? 'is' : 'are'} ${count} ${label}governance proposal${result.count === 1 ? '' : 's'} on ${result.network} 🗳️`, ...lines].join(
          '\n',
        )
      },
    },
  }
}

const PROPOSAL_PARAMETERS = withNetworkParameter(
  {
    id: { type: 'string', description: 'Proposal id (64 hex characters).' },
  },
  ['id'],
)

type ProposalArgs = FromSchema<typeof PROPOSAL_PARAMETERS>

export interface ProposalResult extends ProposalSummary {
  network: string
  context: string
  payoutAddress?: string
  creationHeight: number
  proposalEndHeight: number
  votesYesPercent?: string
  approvalThreshold: string
  quorum: string
  feeDfi: number
}

export function getGovernanceProposalTool(ocean: Ocean): Tool<ProposalArgs, ProposalResult> {
  return {
    name: 'get_governance_proposal',
    description: 'One governance proposal by id (64 hex characters): title, type, status, requested DFI, cycles, votes, link to the discussion.',
    parameters: PROPOSAL_PARAMETERS,
    startLine: 'Reading that governance proposal 🗳️',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const id = requireHash(args.id, 'proposal id')
      const proposal = await ocean.read(
        {
          network,
          key: `governance/proposals/${id}`,
          ttlMs: TTL.recent,
          notFound: `I couldn't find a governance proposal with id ${id} on ${network}.`,
          fetch: (client) => client.governance.getGovProposal(id),
        },
        context.signal,
      )
      return {
        network,
        ...summariseProposal(proposal),
        context: proposal.context,
        payoutAddress: proposal.payoutAddress,
        creationHeight: proposal.creationHeight,
        proposalEndHeight: proposal.proposalEndHeight,
        votesYesPercent: proposal.votesYesPct,
        approvalThreshold: proposal.approvalThreshold,
        quorum: proposal.quorum,
        feeDfi: proposal.fee,
      }
    },
    offline: {
      plan(context) {
        const id = hashInContext(context)
        return id ? withNetwork({ id }, context.message) : undefined
      },
      answer(result) {
        const lines = [
          `"${result.title}" (proposal ${shortId(result.proposalId)} on ${result.network}) is ${result.status} 🗳️`,
          `• Type: ${result.type === 'CommunityFundProposal' ? 'community fund proposal' : 'vote of confidence'}${result.amountDfi ? `, asking for ${formatAmount(result.amountDfi)} DFI` : ''}`,
          `• Cycle ${result.cycle}, ends at block ${formatCount(result.proposalEndHeight)}`,
        ]
        if (result.votesYesPercent) lines.push(`• Yes votes: ${result.votesYesPercent} (needs ${result.approvalThreshold}, quorum ${result.quorum})`)
        if (/^https?:\/\//.test(result.context)) lines.push(`• Discussion: ${result.context}`)
        return lines.join('\n')
      },
    },
  }
}
