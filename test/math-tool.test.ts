import t from 'tap'
import { evaluateExpression, expressionFromWords, mathTool, type MathArgs } from '../tools/math.ts'
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
    ['and 2^10?', '2^10', '1024'],
    ['and what about 3*7', '3*7', '21'],
    ['ok, how about 12 divided by 4', '12 / 4', '3'],
    // A friendly tail is not part of the sum; a factorial's ! stays.
    ['What is 2+2? thanks', '2+2', '4'],
    ['2+2, thanks!', '2+2', '4'],
    ['5*5 please 🙏', '5*5', '25'],
    ['what is 3*3 jelly?', '3*3', '9'],
    ['9 - 1 👍🏽', '9 - 1', '8'],
    ['4 + 4 ❤️', '4 + 4', '8'],
    ['5! thx 😊😊', '5!', '120'],
  ]
  for (const [message, expression, formatted] of cases) {
    t.equal(expressionFromWords(message), expression, message)
    t.equal(evaluateExpression(expression).formatted, formatted, expression)
  }
})

t.test('questions that are not arithmetic are left to other tools', async (t) => {
  for (const message of [
    'What is DeFiChain?',
    'how many masternodes are there?',
    'price of DFI-USD',
    'block 1000000',
    'What is the DFI supply in 2023?',
    'hello',
    'and what about DFI?',
    'what is 2+2 and who are you',
    'thanks',
    'what is 2+2 pleaseee',
  ]) {
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

t.test('no escape reaches the parser: each one is refused by the character or name check before it', async (t) => {
  const beforeParsing = /may only contain numbers|is not a number or a known math function/
  for (const attack of ATTACKS) t.throws(() => evaluateExpression(attack), { name: 'ToolError', message: beforeParsing }, attack)
})

t.test('factorials: small ones exact, large ones refused, the ! kept when it follows a number', async (t) => {
  t.equal(evaluateExpression('5!').formatted, '120')
  t.equal(evaluateExpression('0!').formatted, '1')
  t.equal(evaluateExpression('20!').formatted, '2432902008176640000')
  t.equal(evaluateExpression('21!').formatted, '51090942171709440000', '21! is still exact')
  t.equal(evaluateExpression('3!!').formatted, '720')
  t.throws(() => evaluateExpression('171!'), { message: /171! is too large to compute/ })
  t.throws(() => evaluateExpression('(10^9)!'), { message: /1000000000! is too large to compute/ })
  t.throws(() => evaluateExpression('(-3)!'), { message: /whole numbers from 0 to 170/ })
  t.throws(() => evaluateExpression('2.5!'), { message: /whole numbers from 0 to 170/ })

  t.equal(expressionFromWords('what is (10^9)!'), '(10^9)!', 'a factorial ! is not stripped as punctuation')
  t.equal(expressionFromWords('what is 5!'), '5!')
  // The friendly tail is cut token by token, a few at most: a long run of separators before it is fine.
  t.equal(expressionFromWords(`1+1${', '.repeat(2000)}thanks 😀😀`), '1+1')
  t.equal(expressionFromWords(`1+1 ${'😀'.repeat(50)}`), undefined, 'a tail of many tokens is not a sum')
  t.equal(expressionFromWords('what is 2 + 2?!'), '2 + 2', 'punctuation after a question still goes')
  t.equal(expressionFromWords('what is 2 + 3 !'), '2 + 3', 'a spaced-off ! is an exclamation')
  const offline = mathTool.offline!
  const plan = offline.plan({ message: 'What is (10^9)!' } as never) as { expression: string }
  t.throws(() => evaluateExpression(plan.expression), { message: /too large/ }, 'never "= 1000000000"')
})

t.test('a wrong number of arguments is named as such', async (t) => {
  const cases: [string, RegExp][] = [
    ['pow(2)', /^pow\(\) takes 2 arguments, got 1\.$/],
    ['pow(2, 3, 4)', /^pow\(\) takes 2 arguments, got 3\.$/],
    ['sqrt(4, 9)', /^sqrt\(\) takes 1 argument, got 2\.$/],
    ['sqrt()', /^sqrt\(\) takes 1 argument, got 0\.$/],
    ['min()', /^min\(\) takes at least 1 argument, got 0\.$/],
  ]
  for (const [expression, message] of cases) t.throws(() => evaluateExpression(expression), { name: 'ToolError', message }, expression)
  t.equal(evaluateExpression('pow(2, 10)').formatted, '1024')
  t.equal(evaluateExpression('max(1, 7, 3) + min(4)').formatted, '11')
  t.equal(evaluateExpression('sqrt(16) + abs(-2) + round(2.6)').formatted, '9')
})

// Checked by tsc (part of npm test): the argument type comes from the schema, so it is not `any`.
// @ts-expect-error expression is a string
void ({ expression: 20 } satisfies MathArgs)
// @ts-expect-error no other fields
void ({ expression: '1 + 1', precision: 2 } satisfies MathArgs)
