// Oracle prices: a token's price in a currency (DFI-USD, TSLA-USD...).
import type { FromSchema } from 'json-schema-to-ts'
import type { Tool } from '../types.ts'
import { TTL, type Ocean } from './client.ts'
import { formatAmount, formatTime } from './format.ts'
import { isStrictSymbolWord, isSymbolWord, withNetwork } from './intent.ts'
import { requireSymbol, resolveNetwork, withNetworkParameter } from './validate.ts'

const PRICE_PARAMETERS = withNetworkParameter(
  {
    token: { type: 'string', description: 'Token symbol, e.g. DFI, BTC, TSLA. "DFI-USD" is accepted too.' },
    currency: { type: 'string', description: 'Currency symbol; default USD.' },
  },
  ['token'],
)

type PriceArgs = FromSchema<typeof PRICE_PARAMETERS>

export interface PriceResult {
  network: string
  token: string
  currency: string
  price: string
  activeOracles: number
  totalOracles: number
  blockHeight: number
  time: string
}

export function getPriceTool(ocean: Ocean): Tool<PriceArgs, PriceResult> {
  return {
    name: 'get_price',
    description: 'The current oracle price of a token in a currency (default USD), e.g. DFI, BTC, ETH, TSLA: price, oracles reporting, block and time.',
    parameters: PRICE_PARAMETERS,
    startLine: 'Asking the oracles for the price 💵',
    async run(args, context) {
      const network = resolveNetwork(args.network, ocean.defaultNetwork)
      const [tokenPart, currencyPart] = typeof args.token === 'string' && args.token.includes('-') ? args.token.split('-', 2) : [args.token, undefined]
      // DeFiChain's dTokens are priced under their underlying symbol (dTSLA → TSLA).
      const written = typeof tokenPart === 'string' ? tokenPart.trim() : tokenPart
      const underlying = typeof written === 'string' && /^d[A-Z]{2,}$/.test(written) && written !== 'dUSD' ? written.slice(1) : written
      const token = requireSymbol(underlying, 'token')
      const currency = requireSymbol(args.currency ?? currencyPart ?? 'USD', 'currency')
      const ticker = await ocean.read(
        {
          network,
          key: `prices/${token}-${currency}`,
          ttlMs: TTL.live,
          notFound: `The oracles have no ${token}-${currency} price on ${network}. Try a token the oracles cover, like DFI, BTC, ETH or TSLA.`,
          fetch: (client) => client.prices.get(token, currency),
        },
        context.signal,
      )
      const feed = ticker.price
      return {
        network,
        token,
        currency,
        price: feed.aggregated.amount,
        activeOracles: feed.aggregated.oracles.active,
        totalOracles: feed.aggregated.oracles.total,
        blockHeight: feed.block.height,
        time: formatTime(feed.block.medianTime ?? feed.block.time),
      }
    },
    offline: {
      plan({ message }) {
        const pair = /\b([A-Za-z][A-Za-z0-9]{1,9})\s*[-/]\s*(USD|USDT|EUR)\b/i.exec(message)
        if (pair && isSymbolWord(pair[1])) return withNetwork({ token: pair[1], currency: pair[2].toUpperCase() }, message)
        const patterns = [
          /\bprice of (?:one |1 |a )?(?:the )?\$?([A-Za-z][A-Za-z0-9.]{0,15})\b/i,
          /\b([A-Za-z][A-Za-z0-9.]{0,15})(?:'s)? (?:token )?price\b/i,
          /\bhow much is (?:one |1 |a )?\$?([A-Za-z][A-Za-z0-9.]{0,15}) (?:worth|today|now|going for|in usd|in dollars)\b/i,
          /\bwhat(?:'s| is) (?:one |1 |a )?\$?([A-Za-z][A-Za-z0-9.]{0,15}) (?:worth|trading at)\b/i,
        ]
        const germanPatterns = [/\bwas kostet (?:ein |1 )?\$?([A-Za-z][A-Za-z0-9.]{0,15})\b/i, /\b(?:preis|kurs) (?:von |des |vom )?\$?([A-Za-z][A-Za-z0-9.]{0,15})\b/i]
        for (const pattern of patterns) {
          const word = pattern.exec(message)?.[1]
          if (isSymbolWord(word)) return withNetwork({ token: word }, message)
        }
        for (const pattern of germanPatterns) {
          const word = pattern.exec(message)?.[1]
          if (isStrictSymbolWord(word)) return withNetwork({ token: word }, message)
        }
        return undefined
      },
      answer(result) {
        const symbol = result.currency === 'USD' ? '$' : ''
        const suffix = result.currency === 'USD' ? '' : ` ${result.currency}`
        return `1 ${result.token} is ${symbol}${formatAmount(result.price)}${suffix} right now 💵 (oracle price on ${result.network}, ${result.activeOracles} of ${result.totalOracles} oracles reporting, block ${formatAmount(result.blockHeight)}).`
      },
    },
  }
}
