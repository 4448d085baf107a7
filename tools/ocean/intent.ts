// What offline mode reads out of a message: addresses, 64-hex ids, heights,
// token and pair symbols, the network, and whether a follow-up refers back
// to something said earlier ("and how many vaults are on it?").
import type { OfflineContext } from '../types.ts'
import { decodeAddress, type OceanNetwork } from './address-codec.ts'

const ADDRESS_CANDIDATE = /\b(?:df1|tf1)[02-9ac-hj-np-z]{8,87}\b|\b[78dt][1-9A-HJ-NP-Za-km-z]{25,40}\b/gi
const HASH = /\b[0-9a-f]{64}\b/i
const BACK_REFERENCE = /\b(it|its|it's|that|this|same|them|they|their|the address|this address|that address|that one|this one)\b/i

/** Words that look like a token symbol in "X price" or "token X" but are not one. */
const NOT_SYMBOLS = new Set([
  'the',
  'a',
  'an',
  'current',
  'latest',
  'live',
  'today',
  'token',
  'tokens',
  'oracle',
  'oracles',
  'market',
  'its',
  'what',
  'whats',
  'dex',
  'fixed',
  'interval',
  'this',
  'that',
  'which',
  'each',
  'every',
  'native',
  'utility',
  'loan',
  'governance',
  'dat',
  'lp',
  'my',
  'your',
  'our',
  'their',
  'crypto',
  'coin',
  'share',
  'stock',
  'is',
  'of',
  'for',
  'in',
  'on',
  'at',
  'price',
  'prices',
  'how',
  'much',
  'new',
  'old',
  'average',
  'spot',
  'real',
  'usd',
  'dollar',
  'defichain',
  'pool',
  'liquidity',
  'reward',
  'rewards',
  'and',
  'to',
])

export function findAddress(text: string): string | undefined {
  for (const candidate of text.match(ADDRESS_CANDIDATE) ?? []) {
    if (decodeAddress(candidate)) return candidate
  }
  return undefined
}

export function findHash(text: string): string | undefined {
  return HASH.exec(text)?.[0].toLowerCase()
}

/** The address in the message, or, when the message refers back, one from the newest earlier message naming something. */
export function addressInContext(context: OfflineContext): string | undefined {
  return referenced(context, findAddress)
}

/** A 64-hex id in the message, or, for a follow-up, one from the newest earlier message naming something. */
export function hashInContext(context: OfflineContext): string | undefined {
  return referenced(context, findHash)
}

// Only the newest earlier address or id counts: "and its vaults?" after asking
// about an address, then a transaction, refers to the transaction.
function referenced(context: OfflineContext, find: (text: string) => string | undefined): string | undefined {
  const direct = find(context.message)
  if (direct) return direct
  if (findAddress(context.message) || findHash(context.message)) return undefined
  if (!BACK_REFERENCE.test(context.message)) return undefined
  for (const earlier of [...context.recentHumanMessages].reverse()) {
    if (findAddress(earlier) || findHash(earlier)) return find(earlier)
  }
  return undefined
}

function mentionedNetwork(text: string): OceanNetwork | undefined {
  if (/\btest\s?net\b/i.test(text)) return 'testnet'
  if (/\bmain\s?net\b/i.test(text)) return 'mainnet'
  return undefined
}

/** Adds `network` to args only when the message names one. */
export function withNetwork<T extends object>(args: T, text: string): T & { network?: OceanNetwork } {
  const network = mentionedNetwork(text)
  return network ? { ...args, network } : args
}

/** Symbols recognised even when typed in lower case; others need a capital letter ("dTSLA", "XYZ"). */
const COMMON_SYMBOLS = new Set([
  'dfi',
  'btc',
  'eth',
  'usdt',
  'usdc',
  'dusd',
  'doge',
  'ltc',
  'bch',
  'eurot',
  'xcht',
  'tsla',
  'dtsla',
  'spy',
  'qqq',
  'gld',
  'slv',
  'aapl',
  'amzn',
  'nvda',
  'googl',
  'msft',
  'nflx',
  'fb',
  'meta',
  'dbtc',
  'deth',
  'dusdt',
  'dusdc',
  'ddoge',
  'dltc',
  'dbch',
])

/** Stricter, for German text, where every noun starts with a capital: all caps ("DFI", "dTSLA") or a common symbol. */
export function isStrictSymbolWord(word: string | undefined): word is string {
  return isSymbolWord(word) && (/^d?[A-Z0-9.]{2,}$/.test(word) || COMMON_SYMBOLS.has(word.toLowerCase()))
}

export function isSymbolWord(word: string | undefined): word is string {
  if (word === undefined || !/^[A-Za-z][A-Za-z0-9.]{0,15}$/.test(word) || NOT_SYMBOLS.has(word.toLowerCase())) return false
  return /[A-Z]/.test(word) || COMMON_SYMBOLS.has(word.toLowerCase())
}

/** A block height written as "block 1,234,567", "height 1234567" or "block #1234567". */
export function findHeight(text: string): number | undefined {
  const match = /\b(?:block(?:\s+(?:at|number|no\.?))?(?:\s+height)?|height)\s*#?\s*(\d{1,3}(?:,\d{3})+|\d+)\b/i.exec(text)
  return match ? Number(match[1].replace(/,/g, '')) : undefined
}

/** "How do I…", "why…", "explain…": questions about concepts or steps, which the wiki answers. */
export function asksHowOrWhy(text: string): boolean {
  return /\bhow (do|does|can|should|would|could) (i|you|we|one|it|they)\b|\bhow to\b|\bwhy\b|\bexplain\b|\bwhat does .{0,80} mean\b/i.test(text)
}
