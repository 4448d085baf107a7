// Which tool answers a message in offline mode, in one ordered table: the
// first row whose condition holds and whose tool's plan() finds its arguments
// wins. Rows name specific things (an id, a block, an address) before broad
// questions, and the wiki is the catch-all. Tools only read arguments out of
// the message (plan) and word the answer; every "this is not mine" lives here.
//
// Every pattern here runs on user text, so each is linear: gaps between words
// are bounded (`.{0,80}`), never `.*`, and planners see at most ROUTED_CHARS.
import type { OfflineContext } from '../tools/types.ts'
import { asksHowOrWhy, findAddress, findHash, findHeight } from '../tools/ocean/intent.ts'
import { EMOJI_CHARACTERS } from '../lib/emoji.ts'

export type RouteCondition = RegExp | ((context: OfflineContext) => boolean)

export interface OfflineRoute {
  /** A tool name, or 'capabilities' for Jelly's list of what she can do offline. */
  to: string
  /** The message is for this row when it matches; omitted, the tool's plan() alone decides. */
  when?: RouteCondition
  /** ...unless this matches. */
  unless?: RouteCondition
  /** A general question: when the chain-data tool is unavailable or finds nothing, the wiki answers. */
  wikiFallback?: boolean
  why: string
}

/** Planners read this much of a message; chain-data questions are short, and it bounds their work. */
export const ROUTED_CHARS = 1000

const SMALL_TALK = new RegExp(
  String.raw`^(?:hi|hey|hello|hallo|moin|servus|gm|good (?:morning|evening|afternoon)|thanks?(?: you)?|thx|danke|cheers|ok(?:ay)?|cool|nice|great|bye|ciao|tsch[üu]ss)\b[\s!.,${EMOJI_CHARACTERS}]{0,20}(?:jelly)?[\s!.${EMOJI_CHARACTERS}]{0,20}$`,
  'iu',
)
const HOW_MANY = /\bhow many\b/i
const TRANSACTION_WORDS = /\b(tx|txid|transaction)\b/i
const PROPOSAL_WORDS = /\b(proposals?|cfps?|vocs?|dfips?)\b/i
const POOL_WORDS = /\b(pool|pools|pair|liquidity|apr|apy|reserves?|lm)\b/i

const all =
  (...conditions: RegExp[]) =>
  ({ message }: OfflineContext) =>
    conditions.every((condition) => condition.test(message))

export const OFFLINE_ROUTES: OfflineRoute[] = [
  { to: 'capabilities', when: ({ message }) => SMALL_TALK.test(message.trim()), why: 'a greeting or thanks gets what Jelly can do' },
  { to: 'calculator', why: 'only a message that is arithmetic and nothing else parses as an expression' },
  { to: 'wiki', when: ({ message }) => asksHowOrWhy(message), why: '"how do I…", "why…" ask for steps or concepts, even when they name a pool or token' },

  // A specific thing, named by id, height or address (or referred back to).
  { to: 'get_vault', when: /\bvaults?\b/i, unless: HOW_MANY, why: 'a vault id; "how many vaults" is the chain-wide count or an address\'s vaults' },
  { to: 'get_masternode', when: /\b(masternodes?|mn)\b/i, unless: /\bhow many|wie viele\b/i, why: 'a masternode id; "how many" is the count' },
  { to: 'get_governance_proposal', when: PROPOSAL_WORDS, why: 'a proposal id' },
  { to: 'get_block_transactions', when: all(/\btransactions\b|\btxs\b/i, /\bblock\b/i), why: 'the transactions of a block named by height or hash' },
  { to: 'get_block', when: /\bblock\b/i, why: 'a block by height or hash (a hash next to "transaction" is a transaction)' },
  {
    to: 'get_transaction',
    when: ({ message }) => TRANSACTION_WORDS.test(message) || message.trim().toLowerCase() === findHash(message),
    why: 'a transaction id, or a bare 64-hex id',
  },
  { to: 'get_address_vaults', when: /\bvaults?\b/i, why: "an address's vaults" },
  { to: 'get_address_unspent', when: /\b(utxos?|unspent|outputs)\b/i, why: "an address's unspent outputs" },
  { to: 'get_address_transactions', when: /\b(transactions?|txs?|history|activity|payments?|transfers?)\b/i, why: "an address's history" },
  { to: 'get_address_tokens', when: /\btokens?\b/i, why: "an address's tokens" },
  {
    to: 'get_address_balance',
    when: ({ message }) => /\b(balance|how much|holdings?|hold|funds|worth|wallet)\b/i.test(message) || findAddress(message) !== undefined,
    why: 'an address on its own, or a balance question about one said earlier',
  },

  // Chain-wide questions, most specific first; the general stats come last.
  {
    to: 'get_masternode_count',
    when: /\bhow many (active |enabled )?(masternodes|mns)\b|\bwie viele (aktive )?masternodes\b|\banzahl (der )?masternodes\b|\b(number|count|amount|total) of (active |enabled )?(masternodes|mns)\b|\bmasternode count\b|\b(masternodes|mns) (are there|exist|are running|are active)\b/i,
    wikiFallback: true,
    why: 'the number of masternodes',
  },
  {
    to: 'list_governance_proposals',
    when: all(
      /\b(proposals?|cfps?|vocs?|dfips?|governance|votes?|voting)\b/i,
      /\b(current|currently|active|open|ongoing|latest|recent|list|show|running|how many|are there|any|which|what are the|new|rejected|completed|past)\b/i,
    ),
    unless: /\b[0-9a-f]{64}\b/i,
    wikiFallback: true,
    why: 'which proposals are open, past or rejected (with an id it is one proposal)',
  },
  { to: 'get_pool_pair', when: POOL_WORDS, wikiFallback: true, why: 'a pool named by its pair ("DFI-BTC") or id' },
  {
    to: 'list_pool_pairs',
    when: /\b(list|show|which|top|biggest|largest|all|how many|best|highest)\b.{0,80}\b(pool ?pairs?|pools|liquidity pools)\b|\b(pool ?pairs?|pools)\b.{0,80}\b(are there|exist|available|list)\b/i,
    wikiFallback: true,
    why: 'the DEX pools as a list',
  },
  { to: 'get_price', unless: /\b(pool|pools|liquidity|apr)\b/i, wikiFallback: true, why: 'a token price; with pool words it is a pool question' },
  {
    to: 'get_token',
    // "What is the DFI token?" asks what it is for (the wiki); "how many DUSD are minted" asks for data.
    unless: ({ message }) => /\bwhat(?:'s| is| are)\b/i.test(message) && !/\b(minted|supply|id|created|details|data|info)\b/i.test(message),
    wikiFallback: true,
    why: 'a token named by symbol or id',
  },
  {
    to: 'get_reward_distribution',
    when: /\breward distribution\b|\bblock rewards?\b|\brewards? per block\b|\bblock emission\b|\bhow (are|is) (the )?(block )?rewards? (split|distributed|shared)\b/i,
    wikiFallback: true,
    why: 'how the block reward is split',
  },
  {
    to: 'get_burn',
    // Past tense or DFI named: "how long does the lamp burn?" is not about DFI.
    when: /\b(how much|how many|total|amount of|so far|to date)\b.{0,80}\bburn(ed|t)\b|\b(how much|how many|total|amount of)\b.{0,80}\bdfi\b.{0,80}\bburn(s|ing)?\b|\bburn(ed|t)\s+(dfi|so far|to date|in total)\b|\bburn address\b|\bverbrannt\b/i,
    wikiFallback: true,
    why: 'how much DFI was burned',
  },
  {
    to: 'get_supply',
    when: /\b(circulating|total|max(imum)?|current)\s+(dfi\s+)?supply\b|\b(dfi\s+)?supply\s+of\s+dfi\b|\bdfi\s+supply\b|\bhow many dfi (are there|exist|are in circulation)\b|\bsupply\b.{0,80}\bdfi\b|\b(dfi|coins?)\b.{0,80}\bin circulation\b|\bumlaufmenge\b|\b(dfi-)?(gesamt)?angebot\b/i,
    wikiFallback: true,
    why: 'the DFI supply',
  },
  {
    to: 'get_latest_block',
    when: /\b(latest|last|newest|current|recent|most recent)\s+block\b|\bblock\s?height\b|\bblock count\b|\bhow many blocks (are there|have been (mined|minted|made)|so far|exist)\b|\baktuelle blockh[öo]he\b|\bchain (height|tip)\b|\bheight of the (block)?chain\b/i,
    unless: ({ message }) => findHeight(message) !== undefined || findHash(message) !== undefined,
    wikiFallback: true,
    why: 'the chain tip (a named height or hash is one block)',
  },
  {
    to: 'get_stats',
    when: /\b(stats|statistics|tvl|total value locked|how many (open )?(loan )?vaults|number of (open )?vaults|open auctions|how many auctions|how many tokens (are there|exist|does defichain have))\b/i,
    wikiFallback: true,
    why: 'the chain overview: TVL, open vaults and auctions, token count',
  },

  { to: 'wiki', why: 'everything else is a question for the wiki' },
  { to: 'capabilities', why: 'nothing to look up (a message of a character or two)' },
]

export function holds(condition: RouteCondition | undefined, context: OfflineContext): boolean | undefined {
  if (condition === undefined) return undefined
  return typeof condition === 'function' ? condition(context) : condition.test(context.message)
}

/** The context planners see: the message and the recent ones cut to ROUTED_CHARS. */
export function routedContext(message: string, recentHumanMessages: string[]): OfflineContext {
  return { message: message.slice(0, ROUTED_CHARS), recentHumanMessages: recentHumanMessages.map((text) => text.slice(0, ROUTED_CHARS)) }
}

/** The rows whose conditions hold for this message, in order (the tools' plans still decide). */
export function candidateRoutes(context: OfflineContext, routes: OfflineRoute[] = OFFLINE_ROUTES): OfflineRoute[] {
  return routes.filter((route) => holds(route.when, context) !== false && holds(route.unless, context) !== true)
}
