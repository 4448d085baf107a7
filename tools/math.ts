// Arithmetic with expr-eval-fork (which fixes GHSA-8gw3-rxh4-v6jx), narrowed
// further: numbers, arithmetic operators and a fixed list of math functions.
// No variables, member access, assignment, function definition, strings,
// arrays or comparisons, so user-steered text cannot reach any JavaScript object.
import { Parser } from 'expr-eval-fork'
import type { FromSchema } from 'json-schema-to-ts'
import { ToolError, type Tool } from './types.ts'
import { EMOJI_CHARACTERS } from '../lib/emoji.ts'

const MAX_EXPRESSION_CHARS = 200

const FUNCTIONS = ['sqrt', 'cbrt', 'abs', 'ceil', 'floor', 'round', 'trunc', 'exp', 'ln', 'log', 'log2', 'log10', 'sin', 'cos', 'tan', 'min', 'max', 'pow', 'sign']
const CONSTANTS = ['PI', 'E']
// Checked before parsing: anything else (quotes, brackets, dots between words, `=`...) never reaches the parser.
const ALLOWED_TEXT = /^[\d\s.+\-*/^%(),!a-zA-Z]*$/

const parser = new Parser({
  allowMemberAccess: false,
  operators: {
    assignment: false,
    fndef: false,
    in: false,
    concatenate: false,
    conditional: false,
    logical: false,
    comparison: false,
    length: false,
    random: false,
  },
})
for (const name of Object.keys(parser.functions)) {
  if (!FUNCTIONS.includes(name)) delete parser.functions[name]
}
for (const name of Object.keys(parser.consts)) {
  if (!CONSTANTS.includes(name)) delete parser.consts[name]
}
// The typings omit the operator tables; replacing / and % turns Infinity into a clear error.
const { binaryOps, unaryOps } = parser as unknown as {
  binaryOps: Record<string, (a: number, b: number) => number>
  unaryOps: Record<string, (a: number) => number>
}
for (const operator of ['/', '%']) {
  const apply = binaryOps[operator]
  binaryOps[operator] = (a: number, b: number) => {
    if (b === 0) throw new ToolError('Division by zero is undefined.', 'failed')
    return apply(a, b)
  }
}

// 170! is the largest factorial a double holds; up to 21! the result is exact.
const MAX_FACTORIAL = 170
unaryOps['!'] = (n: number) => {
  if (!Number.isInteger(n) || n < 0)
    throw new ToolError(`The factorial ${formatNumber(n)}! is only defined here for whole numbers from 0 to ${MAX_FACTORIAL}.`, 'invalid_argument')
  if (n > MAX_FACTORIAL) throw new ToolError(`${formatNumber(n)}! is too large to compute (the largest is ${MAX_FACTORIAL}!, about 7.26e306).`, 'failed')
  let product = 1
  for (let k = 2; k <= n; k++) product *= k
  return product
}

// Every math function becomes a called function that checks how many arguments
// it got, so pow(2) says so instead of answering "not a real number".
const ARITY: Record<string, [min: number, max: number]> = { pow: [2, 2], min: [1, Infinity], max: [1, Infinity] }
for (const name of FUNCTIONS) {
  const apply = (parser.functions[name] ?? unaryOps[name]) as (...args: number[]) => number
  delete unaryOps[name]
  const [min, max] = ARITY[name] ?? [1, 1]
  parser.functions[name] = (...args: number[]) => {
    if (args.length < min || args.length > max) {
      const wanted = max === Infinity ? `at least ${min} argument${min === 1 ? '' : 's'}` : `${min} argument${min === 1 ? '' : 's'}`
      throw new ToolError(`${name}() takes ${wanted}, got ${args.length}.`, 'invalid_argument')
    }
    return apply(...args)
  }
}

export interface MathResult {
  expression: string
  result: number
  formatted: string
}

export function evaluateExpression(input: string): MathResult {
  const expression = input.trim()
  if (!expression) throw new ToolError('The expression is empty.', 'invalid_argument')
  if (expression.length > MAX_EXPRESSION_CHARS) {
    throw new ToolError(`The expression is too long (${expression.length} characters; the limit is ${MAX_EXPRESSION_CHARS}).`, 'invalid_argument')
  }
  if (!ALLOWED_TEXT.test(expression)) {
    throw new ToolError('The expression may only contain numbers, + - * / ^ % !, parentheses and math functions like sqrt.', 'invalid_argument')
  }
  const words = expression.match(/[a-zA-Z_]\w*/g) ?? []
  const unknown = words.find((word) => !FUNCTIONS.includes(word) && !CONSTANTS.includes(word))
  if (unknown) throw new ToolError(`"${unknown}" is not a number or a known math function.`, 'invalid_argument')

  let value: unknown
  try {
    value = parser.parse(expression).evaluate({})
  } catch (error) {
    if (error instanceof ToolError) throw error
    throw new ToolError(`I could not read "${expression}" as arithmetic: ${(error as Error).message}.`, 'invalid_argument')
  }
  if (typeof value !== 'number') throw new ToolError('The expression does not evaluate to a number.', 'invalid_argument')
  if (Number.isNaN(value)) throw new ToolError('The result is not a real number (for example the square root of a negative number).', 'failed')
  if (!Number.isFinite(value)) throw new ToolError('The result is too large to represent.', 'failed')
  return { expression, result: value, formatted: formatNumber(value) }
}

/** Twelve significant digits hide binary noise (0.1 + 0.2) and keep answers exact to the eye. */
function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value.toLocaleString('en-US', { useGrouping: false })
  const rounded = Number(value.toPrecision(12))
  return Math.abs(rounded) >= 1e21 || (Math.abs(rounded) < 1e-6 && rounded !== 0) ? rounded.toExponential() : String(rounded)
}

const MATH_PARAMETERS = {
  type: 'object',
  properties: { expression: { type: 'string', description: 'e.g. "20000 / 33.3"', maxLength: MAX_EXPRESSION_CHARS } },
  required: ['expression'],
  additionalProperties: false,
} as const

/** Arguments typed from the schema the runner checks them against. */
export type MathArgs = FromSchema<typeof MATH_PARAMETERS>

export const mathTool: Tool<MathArgs, MathResult> = {
  name: 'calculator',
  description:
    'Exact arithmetic for every calculation: + - * / ^ % ! ( ) PI E sqrt cbrt abs round floor ceil trunc exp ln log10 log2 sin cos tan min max pow. 15% of 2000 is 0.15 * 2000.',
  parameters: MATH_PARAMETERS,
  startLine: "Let's do the math together 🧮",
  async run({ expression }) {
    return evaluateExpression(expression)
  },
  offline: {
    plan: ({ message }) => {
      const expression = expressionFromWords(message)
      return expression ? { expression } : undefined
    },
    answer: ({ expression, formatted }) => `${expression} = ${formatted} 🧮`,
  },
}

// Plain-word arithmetic → an expression, for offline mode. Only messages that
// are arithmetic and nothing else qualify, so "what is DeFiChain?" stays a wiki question.
const WORD_OPERATORS: [RegExp, string][] = [
  [/(\d(?:[\d.,]{0,40}\d)?)\s*(?:%|percent)\s+of\s+/g, '$1 / 100 * '], // bounded: linear on long digit runs
  [/\bsquare\s+root\s+of\s+(\d+(?:\.\d+)?)/g, 'sqrt($1)'],
  [/\bcube\s+root\s+of\s+(\d+(?:\.\d+)?)/g, 'cbrt($1)'],
  [/(\d)\s*squared\b/g, '$1^2'],
  [/(\d)\s*cubed\b/g, '$1^3'],
  [/\b(?:to\s+the\s+power\s+of|raised\s+to(?:\s+the\s+power\s+of)?|to\s+the)\b/g, '^'],
  [/\bdivided\s+by\b|\bover\b|÷/g, '/'],
  [/\b(?:multiplied\s+by|times)\b|×/g, '*'],
  [/\bplus\b|\badded\s+to\b/g, '+'],
  [/\bminus\b|\bless\b/g, '-'],
  [/\bmod(?:ulo)?\b/g, '%'],
  [/(\d)\s*x\s*(?=[\d(])/g, '$1 * '],
]

// A follow-up ("and 2^10?", "what about 3*7") is a question of its own offline: there is no earlier expression to refer to.
const QUESTION_PREFIX =
  /^(?:(?:hey|hi|hello)\s+jelly[,!]?\s*)?(?:(?:and|so|now|ok(?:ay)?)[,]?\s+)?(?:please\s+)?(?:can\s+you\s+)?(?:what(?:'s|\s+is|\s+are|\s+would\s+be|\s+about)?|how\s+about|how\s+much\s+is|calculate|compute|evaluate|solve|work\s+out|tell\s+me)?\s*/

// A friendly tail ("2+2? thanks", "5*5 please 🙏") is not part of the sum. Stripped
// token by token from the end, without a regular expression over the whole tail,
// so a long run of punctuation costs linear time.
const COURTESY = ['thanks', 'thank you', 'thx', 'please', 'pls', 'danke', 'bitte', 'jelly']
const EMOJI = new RegExp(`^[${EMOJI_CHARACTERS}]$`, 'u')
const TAIL_PUNCTUATION = new Set([' ', '\t', '\n', ',', '.', '!', '?'])
// What may stand between a sum and a friendly word: not "!" or "?", which may be the sum's own (5!, 2+2?).
const TAIL_SEPARATORS = new Set([' ', '\t', '\n', ','])

function trimEnd(value: string, chars: Set<string>): string {
  let end = value.length
  while (end > 0 && chars.has(value[end - 1])) end--
  return value.slice(0, end)
}

function withoutCourtesy(text: string): string {
  let rest = text
  for (let tokens = 0; tokens < 8; tokens++) {
    const kept = trimEnd(rest, TAIL_PUNCTUATION)
    // The last character, whole when it is a surrogate pair (most emoji are).
    const last = [...kept.slice(-2)].at(-1) ?? ''
    const word = COURTESY.find((courtesy) => kept.endsWith(courtesy) && !/\p{L}/u.test(kept[kept.length - courtesy.length - 1] ?? ''))
    if (last && EMOJI.test(last)) rest = trimEnd(kept.slice(0, -last.length), TAIL_SEPARATORS)
    else if (word) rest = trimEnd(kept.slice(0, -word.length), TAIL_SEPARATORS)
    else break
  }
  return rest
}

export function expressionFromWords(message: string): string | undefined {
  // A ! right after a number or a bracket is a factorial, not punctuation.
  let text = withoutCourtesy(message.toLowerCase().trim())
    .replace(/(?:[?.=]|(?<![\d)])!){1,20}\s*$/, '')
    .replace(QUESTION_PREFIX, '')
  text = text.replace(/(?<=\d),(?=\d{3}(?!\d))/g, '') // thousands separators, in one linear pass
  for (const [pattern, replacement] of WORD_OPERATORS) text = text.replace(pattern, replacement)
  text = text
    .replace(/\bpi\b/g, 'PI')
    .replace(/\s+/g, ' ')
    .trim()
  if (!/\d/.test(text) || !/[-+*/^%!(]|sqrt|cbrt/.test(text)) return undefined
  if (!ALLOWED_TEXT.test(text) || text.length > MAX_EXPRESSION_CHARS) return undefined
  const words = text.match(/[a-zA-Z_]\w*/g) ?? []
  if (words.some((word) => !FUNCTIONS.includes(word) && !CONSTANTS.includes(word))) return undefined
  return text
}
