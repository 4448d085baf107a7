// Tokens by id or symbol. Ocean looks tokens up by id only, so a symbol is
// resolved through the (cached) token list.
import type { FromSchema } from 'json-schema-to-ts'
import type { tokens as oceanTokens } from '@defichain/whale-api-client'
import { ToolError, type Tool } from '../types.ts'
import type { OceanNetwork } from './address-codec.ts'
import { readWholeList, TTL, type Ocean } from './client.ts'
import { formatAmount, formatCount } from './format.ts'
import { isSymbolWord, withNetwork } from './intent.ts'
import { requireTokenRef, resolveNetwork, withNetworkParameter } from './validate.ts'

const LIST_PAGE_SIZE = 200

function readAllTokens(ocean: Ocean, network: OceanNetwork, signal: AbortSignal): Promise<oceanTokens.TokenData[]> {
  return ocean.read(
    {
      network,
      key: 'tokens?all',
      ttlMs: TTL.recent,
      notFound: `Ocean lists no tokens on ${network}.`,
      fetch: (client) => readWholeList(client, client.tokens.list(LIST_PAGE_SIZE)),
    },
    signal,
  )
}

/** Symbol match that ignores case and the "d" prefix of DeFiChain's display symbols (dTSLA → TSLA). */
export function symbolMatches(token: { symbol: string; displaySymbol: string }, wanted: string): boolean {
  const target = wanted.toUpperCase()
  return token.symbol.toUpperCase() === target || token.displaySymbol.toUpperCase() === target
}

const TOKEN_PARAMETERS = withNetworkParameter(
  {
    token: { type: ['string', 'integer'], description: 'Token id (e.g. 0) or symbol (e.g. DUSD).' },
  },
  ['token'],
)

type TokenArgs = FromSchema<typeof TOKEN_PARAMETERS>

export interface TokenResult {
  network: string
  id: string
  symbol: string
  displaySymbol: string
  name: string
  minted: string
  isDAT: boolean
  isLiquidityToken: boolean
  isLoanToken: boolean
  mintable: boolean
  tradeable: boolean
  creationHeight: number
}

export function getTokenTool(ocean: Ocean): Tool<TokenArgs, TokenResult> {
  return {
    name: 'get_token',
    description:
      'One DeFiChain token by id (0 is DFI) or symbol (DFI, BTC, DUSD, TSLA, BTC-DFI...): name, minted amount, type (DAT, loan token, pool share), creation height.',
    parameters: TOKEN_PARAMETERS,
    startLine: 'Looking up that token 🪙',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const ref = requireTokenRef(args.token)
      let token: oceanTokens.TokenData
      if (ref.id !== undefined) {
        const id = ref.id
        token = await ocean.read(
          { network, key: `tokens/${id}`, ttlMs: TTL.recent, notFound: `There is no token with id ${id} on ${network}.`, fetch: (client) => client.tokens.get(id) },
          context.signal,
        )
      } else {
        const symbol = ref.symbol as string
        const all = await readAllTokens(ocean, network, context.signal)
        const matches = all.filter((candidate) => symbolMatches(candidate, symbol))
        const found = matches.find((candidate) => candidate.isDAT) ?? matches[0]
        if (!found) throw new ToolError(`There is no token with the symbol ${symbol} on ${network}.`, 'not_found')
        token = found
      }
      return {
        network,
        id: token.id,
        symbol: token.symbol,
        displaySymbol: token.displaySymbol,
        name: token.name,
        minted: token.minted,
        isDAT: token.isDAT,
        isLiquidityToken: token.isLPS,
        isLoanToken: token.isLoanToken,
        mintable: token.mintable,
        tradeable: token.tradeable,
        creationHeight: token.creation?.height,
      }
    },
    offline: {
      plan({ message }) {
        const named =
          /\btoken\s+(?:id\s+)?#?(\d{1,6})\b/i.exec(message) ??
          /\btoken\s+([A-Za-z][A-Za-z0-9.\-]{0,15})\b/i.exec(message) ??
          /\b([A-Za-z][A-Za-z0-9.\-]{0,15})\s+token\b/i.exec(message)
        const word = named?.[1]
        if (!word || (!/^\d+$/.test(word) && !isSymbolWord(word.replace(/-.*/, '')))) return undefined
        return withNetwork({ token: word }, message)
      },
      answer(result) {
        const kind = result.isLiquidityToken
          ? 'a liquidity pool share token'
          : result.isLoanToken
            ? 'a loan token (dToken)'
            : result.isDAT
              ? 'a DeFi Asset Token (DAT)'
              : 'a custom token'
        return [
          `${result.displaySymbol} (${result.name}) is token ${result.id} on ${result.network}, ${kind} 🪙`,
          `• Minted: ${formatAmount(result.minted)} ${result.displaySymbol}`,
          `• Created at block ${formatCount(result.creationHeight)}`,
          `• Tradeable: ${result.tradeable ? 'yes' : 'no'}, mintable: ${result.mintable ? 'yes' : 'no'}`,
        ].join('\n')
      },
    },
  }
}
