// Checks that a DeFiChain address is well formed before we ask Ocean about it:
// base58check for legacy (P2PKH) and P2SH addresses, bech32/bech32m for
// native segwit. Prefixes come from DeFiChain's chainparams (as mirrored in
// @defichain/jellyfish-network): mainnet 0x12 / 0x5a / "df", testnet 0x0f / 0x80 / "tf".
import { createHash } from 'node:crypto'

export type OceanNetwork = 'mainnet' | 'testnet'
type AddressKind = 'p2pkh' | 'p2sh' | 'bech32'

export interface DecodedAddress {
  network: OceanNetwork
  kind: AddressKind
}

const NETWORK_PREFIXES: Record<OceanNetwork, { pubKeyHash: number; scriptHash: number; hrp: string }> = {
  mainnet: { pubKeyHash: 0x12, scriptHash: 0x5a, hrp: 'df' },
  testnet: { pubKeyHash: 0x0f, scriptHash: 0x80, hrp: 'tf' },
}

const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const BECH32_ALPHABET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const BECH32_CONST = 1
const BECH32M_CONST = 0x2bc830a3

/** The network and kind of a valid DeFiChain address, or undefined when it is not one. */
export function decodeAddress(text: string): DecodedAddress | undefined {
  return /^(df|tf)1/i.test(text) ? decodeSegwit(text) : decodeBase58Address(text)
}

function decodeBase58Address(text: string): DecodedAddress | undefined {
  const bytes = base58Decode(text)
  if (!bytes || bytes.length !== 25) return undefined
  const payload = bytes.subarray(0, 21)
  const checksum = sha256(sha256(payload)).subarray(0, 4)
  if (!checksum.equals(bytes.subarray(21))) return undefined
  const version = bytes[0]
  for (const [network, prefixes] of Object.entries(NETWORK_PREFIXES) as [OceanNetwork, typeof NETWORK_PREFIXES.mainnet][]) {
    if (version === prefixes.pubKeyHash) return { network, kind: 'p2pkh' }
    if (version === prefixes.scriptHash) return { network, kind: 'p2sh' }
  }
  return undefined
}

function decodeSegwit(text: string): DecodedAddress | undefined {
  if (text.length > 90 || (text !== text.toLowerCase() && text !== text.toUpperCase())) return undefined
  const lower = text.toLowerCase()
  const separator = lower.lastIndexOf('1')
  const hrp = lower.slice(0, separator)
  const network = (Object.keys(NETWORK_PREFIXES) as OceanNetwork[]).find((name) => NETWORK_PREFIXES[name].hrp === hrp)
  if (!network) return undefined
  const values: number[] = []
  for (const char of lower.slice(separator + 1)) {
    const value = BECH32_ALPHABET.indexOf(char)
    if (value < 0) return undefined
    values.push(value)
  }
  if (values.length < 7) return undefined
  const checksum = polymod([...expandHrp(hrp), ...values])
  const witnessVersion = values[0]
  // Version 0 uses bech32 (BIP 173); versions 1-16 use bech32m (BIP 350).
  if (checksum !== (witnessVersion === 0 ? BECH32_CONST : BECH32M_CONST)) return undefined
  if (witnessVersion > 16) return undefined
  const program = convertBits(values.slice(1, -6), 5, 8)
  if (!program || program.length < 2 || program.length > 40) return undefined
  if (witnessVersion === 0 && program.length !== 20 && program.length !== 32) return undefined
  return { network, kind: 'bech32' }
}

function base58Decode(text: string): Buffer | undefined {
  if (text.length === 0 || text.length > 64) return undefined
  let value = 0n
  for (const char of text) {
    const digit = BASE58_ALPHABET.indexOf(char)
    if (digit < 0) return undefined
    value = value * 58n + BigInt(digit)
  }
  const hex = value === 0n ? '' : value.toString(16)
  const body = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')
  const leadingZeros = text.length - text.replace(/^1+/, '').length
  return Buffer.concat([Buffer.alloc(leadingZeros), body])
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest()
}

function expandHrp(hrp: string): number[] {
  const codes = [...hrp].map((char) => char.charCodeAt(0))
  return [...codes.map((code) => code >> 5), 0, ...codes.map((code) => code & 31)]
}

function polymod(values: number[]): number {
  const generators = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
  let checksum = 1
  for (const value of values) {
    const top = checksum >> 25
    checksum = ((checksum & 0x1ffffff) << 5) ^ value
    for (let bit = 0; bit < 5; bit++) {
      if ((top >> bit) & 1) checksum ^= generators[bit]
    }
  }
  return checksum
}

function convertBits(data: number[], from: number, to: number): number[] | undefined {
  let accumulator = 0
  let bits = 0
  const result: number[] = []
  const maxValue = (1 << to) - 1
  for (const value of data) {
    accumulator = (accumulator << from) | value
    bits += from
    while (bits >= to) {
      bits -= to
      result.push((accumulator >> bits) & maxValue)
    }
  }
  // Leftover bits must be zero padding shorter than one source group.
  if (bits >= from || ((accumulator << (to - bits)) & maxValue) !== 0) return undefined
  return result
}
