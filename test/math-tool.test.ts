import t from 'tap'
import { evaluateExpression, expressionFromWords, mathTool } from '../tools/math.ts'
import { ToolError } from '../tools/types.ts'

t.test('plain-word arithmetic becomes an expression', async (t) => {
  const cases: [string, string, string][] = [
    ['What is 20000 divided by 33.3?', '20000 / 33.3', '600.600600601'],
    ["what's 2^10 + 5", '2^10 + 5', '1029'],
    ['15% of 2000', '15 / 100 * 2000', '300'],
    ['sqrt(2)*3', 'sqrt(2)*3', '4.24264068712'],
    ['what is 1,000,000 times 3?', '1000000 * 3', '3000000'],
    ['calculate 7 minus 10', '7 - 10', '-3'],
    ['square root of 81', 'sqrt(81)', '9'],
    ['0.1 + 0.2', '0.1 + 0.2', '0.3'],
  ]
  for (const [message, expression, formatted] of cases) {
    t.equal(expressionFromWords(message), expression, message)
    t.equal(evaluateExpression(expression).formatted, formatted, expression)
  }
})

t.test('questions that are not arithmetic are left to other tools', async (t) => {
  for (const message of ['What is DeFiChain?', 'how many masternodes are there?', 'price of DFI-USD', 'block 1000000', 'What is the DFI supply in 2023?', 'hello']) {
    t.equal(expressionFromWords(message), undefined, message)
  }
})

t.test('failures are clear tool errors', async (t) => {
  const cases: [string, RegExp][] = [
    ['5 / 0', /Division by zero/],
    ['10 % 0', /Division by zero/],
    ['2^5000', /too large/],
    ['sqrt(-1)', /not a real number/],
    ['2 +', /could not read/],
    ['', /empty/],
    ['1+'.repeat(150) + '1', /too long/],
    ['foo + 1', /"foo" is not a number/],
  ]
  for (const [expression, message] of cases) {
    t.throws(() => evaluateExpression(expression), { name: 'ToolError', message }, expression)
  }
})

// Published proofs of concept for GHSA-8gw3-rxh4-v6jx / CVE-2025-12735 and older expr-eval escapes.
const ATTACKS = [
  'Object=constructor;a=Object.fromEntries([["a","polluted"]]);Object.assign(__proto__, a)',
  'constructor.constructor("return process")()',
  '__proto__.a = 1',
  'a = 1',
  'f(x) = x; f(2)',
  'toString.constructor("return this")()',
  '[1,2,3]',
  '"a" || "b"',
  'x.y',
  'if(1, 2, 3)',
  'map(f, [1])',
  'PI = 3',
  'length "abc"',
  'random()',
]

t.test('no expression can pollute prototypes or run code', async (t) => {
  for (const attack of ATTACKS) {
    await t.rejects(mathTool.run({ expression: attack }, { signal: AbortSignal.timeout(1000), log: undefined as never }), ToolError, attack)
  }
  t.equal(({} as Record<string, unknown>).a, undefined, '({}).a stays undefined')
  t.equal((Object.prototype as Record<string, unknown>).a, undefined)
  t.equal(typeof Object.assign, 'function')
})
