// Argument checks that run before any request, so a typo becomes a clear
// "invalid argument" instead of a confusing Ocean error or a not-found.
import type { FromSchema } from 'json-schema-to-ts'
import { ToolError } from '../types.ts'
import { decodeAddress, type OceanNetwork } from './address-codec.ts'

export const NETWORK_PARAMETER = {
  type: 'string',
  enum: ['mainnet', 'testnet'],
  description: 'DeFiChain network; defaults to the configured one (usually mainnet).',
} as const

/** The parameters of a tool that takes only the network. */
export const NETWORK_ONLY = { type: 'object', properties: { network: NETWORK_PARAMETER }, additionalProperties: false } as const

/** A tool's parameters: these properties plus the optional network, nothing else. */
export function withNetworkParameter<const P extends Record<string, object>, const R extends readonly (keyof P & string)[]>(properties: P, required: R) {
  return { type: 'object', properties: { ...properties, network: NETWORK_PARAMETER }, required, additionalProperties: false } as const
}

/** Arguments typed from the schema the runner checks them against. */
export type NetworkArgs = FromSchema<typeof NETWORK_ONLY>

export function resolveNetwork(value: unknown, fallback: OceanNetwork): OceanNetwork {
  if (value === undefined || value === null || value === '') return fallback
  const text = String(value).trim().toLowerCase()
  if (text === 'mainnet' || text === 'testnet') return text
  throw invalid(`"${String(value)}" is not a DeFiChain network; use "mainnet" or "testnet".`)
}

/** A valid address and the network it belongs to (the address decides when no network is given). */
export function requireAddress(value: unknown, network: unknown, fallback: OceanNetwork): { address: string; network: OceanNetwork } {
  if (typeof value !== 'string' || !value.trim()) throw invalid('Please give a DeFiChain address (it starts with 8, d or df1 on mainnet; 7, t or tf1 on testnet).')
  const address = value.trim()
  const decoded = decodeAddress(address)
  if (!decoded) {
    throw invalid(`"${truncate(address)}" is not a valid DeFiChain address. Mainnet addresses start with 8, d or df1; testnet addresses start with 7, t or tf1.`)
  }
  if (network !== undefined && network !== null && network !== '') {
    const asked = resolveNetwork(network, fallback)
    if (asked !== decoded.network) throw invalid(`${address} is a ${decoded.network} address, but ${asked} was asked for.`)
  }
  return { address, network: decoded.network }
}

const MAX_HEIGHT = 2 ** 31 - 1

export function requireHeight(value: unknown): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim().replace(/[,_]/g, '') : ''
  if (!/^\d+$/.test(text) || Number(text) > MAX_HEIGHT) {
    throw invalid(`"${truncate(String(value))}" is not a block height; a height is a whole number from 0 up.`)
  }
  return Number(text)
}

/** A 64-character hex id (block hash, transaction id, masternode id, vault id, proposal id). */
export function requireHash(value: unknown, what: string): string {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : ''
  if (!/^[0-9a-f]{64}$/.test(text)) throw invalid(`"${truncate(String(value ?? ''))}" is not a valid ${what}; it should be 64 hexadecimal characters.`)
  return text
}

/** A block height or hash, as Ocean's /blocks/{id} accepts. */
export function requireBlockId(value: unknown): { height?: number; hash?: string } {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : ''
  if (/^[0-9a-fA-F]{64}$/.test(text)) return { hash: text.toLowerCase() }
  if (/^[\d,_]+$/.test(text)) return { height: requireHeight(text) }
  throw invalid(`"${truncate(String(value ?? ''))}" is neither a block height (a whole number) nor a block hash (64 hexadecimal characters).`)
}

/** A token given by id ("15") or symbol ("DUSD", "dTSLA", "BTC-DFI"). */
export function requireTokenRef(value: unknown): { id?: string; symbol?: string } {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim().replace(/^#/, '') : ''
  if (/^\d{1,9}$/.test(text)) return { id: String(Number(text)) }
  if (/^[A-Za-z][A-Za-z0-9.\-_]{0,31}$/.test(text)) return { symbol: text }
  throw invalid(`"${truncate(String(value ?? ''))}" is not a token id or symbol (for example 0, DFI or DUSD).`)
}

/** A pool pair given by id ("5") or by its two token symbols ("DFI-BTC", "BTC/DFI"). */
export function requirePoolPairRef(value: unknown): { id?: string; tokens?: [string, string] } {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim().replace(/^#/, '') : ''
  if (/^\d{1,9}$/.test(text)) return { id: String(Number(text)) }
  const match = /^([A-Za-z][A-Za-z0-9.]{0,15})\s*[-/]\s*([A-Za-z][A-Za-z0-9.]{0,15})$/.exec(text)
  if (match) return { tokens: [match[1], match[2]] }
  throw invalid(`"${truncate(String(value ?? ''))}" is not a pool pair; give its id (like 5) or its two tokens (like DFI-BTC).`)
}

export function requireSymbol(value: unknown, what: string): string {
  const text = typeof value === 'string' ? value.trim() : ''
  if (!/^[A-Za-z][A-Za-z0-9.]{0,15}$/.test(text)) throw invalid(`"${truncate(String(value ?? ''))}" is not a valid ${what} symbol (for example DFI or USD).`)
  return text.toUpperCase()
}

export function optionalEnum<T extends string>(value: unknown, allowed: readonly T[], fallback: T, what: string): T {
  if (value === undefined || value === null || value === '') return fallback
  const text = String(value).trim().toLowerCase() as T
  if (!allowed.includes(text)) throw invalid(`"${truncate(String(value))}" is not a valid ${what}; use one of ${allowed.join(', ')}.`)
  return text
}

function invalid(message: string): ToolError {
  return new ToolError(message, 'invalid_argument')
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
