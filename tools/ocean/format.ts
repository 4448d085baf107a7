// Formatting for answers. Ocean sends amounts as decimal strings (and some
// stats as JSON numbers); we format the digits we were given, never through
// float arithmetic, so "1234.56789012" stays exactly that, with separators.

/** "1234567.12345678" → "1,234,567.12345678" (trailing zeros after the point dropped). */
export function formatAmount(value: string | number | undefined | null): string {
  if (value === undefined || value === null || value === '') return 'unknown'
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim()
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text)
  if (!match) return text
  const [, sign, whole, fraction = ''] = match
  const grouped = whole.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const trimmed = fraction.replace(/0+$/, '')
  return `${sign}${grouped}${trimmed ? `.${trimmed}` : ''}`
}

/** A percentage Ocean gives as a ratio string ("0.0025") or number, shown as "0.25%". */
export function formatRatioAsPercent(value: string | number | undefined): string {
  if (value === undefined || value === '') return 'unknown'
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim()
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text)
  if (!match) return text
  const [, sign, whole, fraction = ''] = match
  // Multiplying by 100 is moving the decimal point two places: exact on the digits.
  const padded = fraction.padEnd(2, '0')
  return `${formatAmount(`${sign}${whole}${padded.slice(0, 2)}.${padded.slice(2) || '0'}`)}%`
}

/** A block time (seconds since the epoch) as an ISO-like UTC text. */
export function formatTime(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return 'unknown'
  return `${new Date(seconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')} UTC`
}

/** A count with thousands separators. */
export function formatCount(value: number | undefined): string {
  return value === undefined ? 'unknown' : formatAmount(value)
}

/** Long ids shortened for prose; tools still return them whole. */
export function shortId(id: string): string {
  return id.length > 20 ? `${id.slice(0, 8)}…${id.slice(-8)}` : id
}

// JSON numbers print back as the shortest decimal that round-trips, which is the
// text Ocean sent; only exponent notation needs expanding.
function numberToPlainString(value: number): string {
  const text = String(value)
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text)
  if (!match) return text
  const [, sign, lead, rest = '', exponentText] = match
  const digits = lead + rest
  const exponent = Number(exponentText)
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`
  return `${sign}${digits.padEnd(exponent + 1, '0')}`
}

/** Exact sum of decimal strings ("0.1" + "0.2" is "0.3"), via integers scaled to the longest fraction. */
export function sumAmounts(values: string[]): string {
  const parsed = values.map((value) => /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim())).filter((match) => match !== null)
  const scale = Math.max(0, ...parsed.map((match) => (match[3] ?? '').length))
  let total = 0n
  for (const [, sign, whole, fraction = ''] of parsed) {
    const scaled = BigInt(whole + fraction.padEnd(scale, '0'))
    total += sign ? -scaled : scaled
  }
  const negative = total < 0n
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0')
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits
  return `${negative ? '-' : ''}${text}`
}
