// /messages_answers: every answered turn, newest first, paged with ?limit= and
// ?before= (an id or an ISO date); admin-only once ADMIN_TOKEN is set. Through
// buildTestApp() and inject(): the guard is the app's, no socket needed.
import t from 'tap'
import { buildTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'

const ADMIN_TOKEN = 'admin-token-for-tests-only'
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }
const question = (k: number) => `what is ${k} times 3?`
const answer = (k: number) => `${k} * 3 = ${3 * k} 🧮`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const http = injector((await buildTestApp(t, { ADMIN_TOKEN })).app)

// Six turns, with a moment on the clock between the third and the fourth.
let cut = ''
for (const k of [1, 2, 3, 4, 5, 6]) {
  if (k === 4) {
    await sleep(20)
    cut = new Date().toISOString()
    await sleep(20)
  }
  const reply = await http.post(`/user_message`, { user_token: `asker-${k % 2}`, message: question(k) })
  if (reply.status !== 200) throw new Error(`setup turn ${k} failed: ${JSON.stringify(reply)}`)
}

t.test('admin endpoints need the bearer token when ADMIN_TOKEN is set', async (t) => {
  const refused: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer not-the-admin-token' }],
    ['a token of the same length', { authorization: `Bearer ${'x'.repeat(ADMIN_TOKEN.length)}` }],
    ['the token without "Bearer"', { authorization: ADMIN_TOKEN }],
    ['Basic auth', { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['the token with a suffix', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
  ]
  for (const path of ['/messages_answers', '/messages_answers?limit=1', '/search?q=jelly']) {
    for (const [name, headers] of refused) {
      const reply = await http.get(`${path}`, headers)
      t.equal(reply.status, 401, `${path} with ${name}: 401`)
      t.match(reply.body, { error: /Bearer/ }, 'the error says what is needed')
    }
  }
  const allowed = await http.get(`/messages_answers`, ADMIN)
  t.equal(allowed.status, 200, 'the right bearer token: 200')
  t.equal(allowed.body.length, 6)
  t.equal((await http.get(`/messages_answers`, { authorization: `bearer ${ADMIN_TOKEN}` })).status, 200, 'the scheme is case-insensitive')

  // The rest stays public.
  t.equal((await http.get(`/human_message_count`)).status, 200)
  t.equal((await http.get(`/health`)).status, 200)
  t.equal((await http.get(`/ready`)).status, 200)
  t.equal((await http.post(`/history`, { user_token: 'asker-1' })).status, 200)
})

t.test('newest first, every field present', async (t) => {
  const { body } = await http.get(`/messages_answers`, ADMIN)
  t.same(
    body.map((entry: any) => [entry.question, entry.answer]),
    [6, 5, 4, 3, 2, 1].map((k) => [question(k), answer(k)]),
  )
  for (const entry of body) {
    t.type(entry.id, 'number')
    t.equal(new Date(entry.date).toISOString(), entry.date, 'date is an ISO date')
  }
  const ids = body.map((entry: any) => entry.id)
  t.same(
    ids,
    [...ids].sort((a, b) => b - a),
    'ids go down',
  )
  const dates = body.map((entry: any) => Date.parse(entry.date))
  t.same(
    dates,
    [...dates].sort((a, b) => b - a),
    'dates never go up',
  )
})

t.test('?limit= and ?before=<id> page through everything exactly once', async (t) => {
  const seen: string[] = []
  let before = ''
  for (let page = 0; page < 10; page++) {
    const reply = await http.get(`/messages_answers?limit=4${before}`, ADMIN)
    t.equal(reply.status, 200)
    if (reply.body.length === 0) break
    t.ok(reply.body.length <= 4, 'at most limit entries')
    seen.push(...reply.body.map((entry: any) => entry.question))
    before = `&before=${reply.body.at(-1).id}`
  }
  t.same(seen, [6, 5, 4, 3, 2, 1].map(question), 'two pages of 4 and 2, then an empty one')
  t.same(
    (await http.get(`/messages_answers?limit=1`, ADMIN)).body.map((entry: any) => entry.question),
    [question(6)],
  )
})

t.test('?before=<ISO date> returns what was answered before that moment', async (t) => {
  const earlier = await http.get(`/messages_answers?before=${encodeURIComponent(cut)}`, ADMIN)
  t.equal(earlier.status, 200)
  t.same(
    earlier.body.map((entry: any) => entry.question),
    [3, 2, 1].map(question),
  )
  const limited = await http.get(`/messages_answers?limit=2&before=${encodeURIComponent(cut)}`, ADMIN)
  t.same(
    limited.body.map((entry: any) => entry.question),
    [3, 2].map(question),
    'limit applies too',
  )

  // The same moment written with an offset, and a plain date.
  const date = new Date(cut)
  const withOffset = new Date(date.getTime() + 2 * 3600_000).toISOString().replace('Z', '+02:00')
  t.same(
    (await http.get(`/messages_answers?before=${encodeURIComponent(withOffset)}`, ADMIN)).body.map((entry: any) => entry.question),
    [3, 2, 1].map(question),
    'an offset date means the same moment',
  )
  t.same((await http.get(`/messages_answers?before=2000-01-01`, ADMIN)).body, [], 'nothing before 2000')
  t.equal((await http.get(`/messages_answers?before=2999-01-01T00:00:00Z`, ADMIN)).body.length, 6, 'everything before 2999')
})

t.test('bad paging parameters are a 400 naming the parameter', async (t) => {
  for (const query of ['limit=0', 'limit=-1', 'limit=501', 'limit=abc', 'limit=1.5']) {
    const reply = await http.get(`/messages_answers?${query}`, ADMIN)
    t.equal(reply.status, 400, query)
    t.match(reply.body, { error: /limit/ }, `${query}: ${reply.body.error}`)
  }
  const impossible = await http.get(`/messages_answers?before=2024-13-45`, ADMIN)
  t.same(impossible, { status: 400, body: { error: 'before must be an id or an ISO date' } }, 'an impossible date')
  t.test('before= that is neither an id nor a date', async (t) => {
    for (const query of ['before=abc', 'before=yesterday', 'before=12abc']) {
      const reply = await http.get(`/messages_answers?${query}`, ADMIN)
      t.equal(reply.status, 400, query)
      t.same(reply.body, { error: 'before must be an id or an ISO date' }, `${query}: ${reply.body.error}`)
    }
  })
})

t.test('without ADMIN_TOKEN the admin endpoints are closed, with a 403 saying how to open them', async (t) => {
  const closedHttp = injector((await buildTestApp(t, { ADMIN_OPEN: '' })).app)
  await closedHttp.post(`/user_message`, { user_token: 'private', message: question(7) })
  for (const path of ['/messages_answers', '/search?q=jelly']) {
    for (const headers of [{}, { authorization: 'Bearer anything-at-all-long-enough' }] as Record<string, string>[]) {
      const reply = await closedHttp.get(`${path}`, headers)
      t.equal(reply.status, 403, `${path}: 403`)
      t.match(reply.body.error, /ADMIN_TOKEN/, 'names ADMIN_TOKEN')
      t.match(reply.body.error, /ADMIN_OPEN=true/, 'and the explicit way to open them to everyone')
      t.notMatch(JSON.stringify(reply.body), question(7), 'no stored question leaks')
    }
  }
  t.equal((await closedHttp.post(`/history`, { user_token: 'private' })).status, 200, 'the chat itself stays open')
})

t.test('ADMIN_OPEN=true opens them to everyone, explicitly', async (t) => {
  const openHttp = injector((await buildTestApp(t, { ADMIN_OPEN: 'true' })).app)
  await openHttp.post(`/user_message`, { user_token: 'public', message: question(8) })
  const reply = await openHttp.get(`/messages_answers`)
  t.equal(reply.status, 200)
  t.same(
    reply.body.map((entry: any) => entry.question),
    [question(8)],
  )
})

t.test('a short ADMIN_TOKEN, a bad ADMIN_OPEN or both together stop start-up with one line', async (t) => {
  const { loadConfig } = await import('../server/config.ts')
  t.throws(() => loadConfig({ ADMIN_TOKEN: 'short-secret' }), { message: /^ADMIN_TOKEN must be at least 16 characters, got 12/ })
  t.notMatch(
    String(
      (() => {
        try {
          loadConfig({ ADMIN_TOKEN: 'short-secret' })
        } catch (error) {
          return error
        }
      })(),
    ),
    'short-secret',
    'the secret is not echoed',
  )
  t.throws(() => loadConfig({ ADMIN_OPEN: 'yes' }), { message: /^ADMIN_OPEN must be true or false/ })
  t.throws(() => loadConfig({ ADMIN_OPEN: 'true', ADMIN_TOKEN: ADMIN_TOKEN }), { message: /ADMIN_OPEN/ })
  t.match(loadConfig({}), { adminToken: undefined, adminOpen: false }, 'closed is the default')
  t.match(loadConfig({ ADMIN_TOKEN }), { adminToken: ADMIN_TOKEN, adminOpen: false })
})

t.test('the bearer check is constant-time (timingSafeEqual), in the one guard every admin route uses', async (t) => {
  const { readFile } = await import('node:fs/promises')
  const guard = await readFile(new URL('../server/admin-guard.ts', import.meta.url), 'utf8')
  t.match(guard, /timingSafeEqual\(given, expected\)/, 'the token is compared with timingSafeEqual')
  const comparisons = guard.replaceAll('adminToken === undefined', '')
  t.notMatch(comparisons, /[!=]==?\s*(?:config\.)?(?:adminToken|token)\b|\b(?:adminToken|token|given)\s*[!=]==?/, 'and never with ==')
  const { bearerMatches } = await import('../server/admin-guard.ts')
  t.ok(bearerMatches(`Bearer ${ADMIN_TOKEN}`, ADMIN_TOKEN))
  t.notOk(bearerMatches(`Bearer ${ADMIN_TOKEN.slice(0, -1)}X`, ADMIN_TOKEN), 'same length, last byte differs')
  t.notOk(bearerMatches(`Bearer ${ADMIN_TOKEN}${ADMIN_TOKEN}`, ADMIN_TOKEN), 'longer')
})
