// /history reads without writing: an unknown token sees Jelly's greeting, which
// is stored with the first message; pages with `limit` and `before`. Through
// buildTestApp() and inject(), and the app's own database for what the API cannot show.
import t from 'tap'
import { GREETING } from '../server/chat-service.ts'
import { buildTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'
import { countRows } from './helpers/database.ts'

const built = await buildTestApp(t)
const http = injector(built.app)
const history = (body: object) => http.post('/history', body)
const say = async (user_token: string, message: string) => {
  const reply = await http.post('/user_message', { user_token, message })
  if (reply.status !== 200) throw new Error(`turn failed: ${JSON.stringify(reply)}`)
  return reply.body as { response: string; message_id: number }
}

t.test('an unknown token sees the greeting, and the greeting is stored with the first message', async (t) => {
  const first = await history({ user_token: 'newcomer' })
  t.equal(first.status, 200)
  t.match(first.body, [{ id: 0, message_type: 'jelly', content: GREETING, application: null, timestamp: String }], 'only the greeting, not stored yet (id 0)')
  t.same((await history({ user_token: 'newcomer' })).body, first.body, 'reading again reads the same')

  const reply = await say('newcomer', 'what is 2 plus 3?')
  const stored = (await history({ user_token: 'newcomer' })).body
  t.same(
    stored.map((entry: any) => [entry.message_type, entry.content]),
    [
      ['jelly', GREETING],
      ['human', 'what is 2 plus 3?'],
      ['tool', "Let's do the math together 🧮"],
      ['jelly', reply.response],
    ],
    'the stored history starts with the greeting',
  )
  t.ok(stored[0].id > 0, 'now the greeting has a real id')
  t.ok(Date.parse(stored[0].timestamp) <= Date.parse(stored[1].timestamp), 'stored just before the first message')
  t.equal(stored[3].id, reply.message_id)
})

t.test('pages: the last `limit` before `before`, oldest first; the default is the newest page', async (t) => {
  for (let k = 1; k <= 40; k++) await say('pager', `what is ${k} times 2?`)
  const all = (await history({ user_token: 'pager', limit: 200 })).body
  t.equal(all.length, 1 + 40 * 3, 'greeting plus 40 turns of three messages')
  const ids = all.map((entry: any) => entry.id)
  t.same(
    ids,
    [...ids].sort((a, b) => a - b),
    'oldest first',
  )

  t.same((await history({ user_token: 'pager' })).body, all.slice(-100), 'the plain {user_token} call: the newest 100, oldest first')
  t.same((await history({ user_token: 'pager', limit: 5 })).body, all.slice(-5), 'limit 5: the newest five')

  // Walking back with before = the first id of each page visits every message once.
  const walked: number[] = []
  let before: number | undefined
  for (let page = 0; page < 100; page++) {
    const reply = await history({ user_token: 'pager', limit: 7, ...(before ? { before } : {}) })
    t.equal(reply.status, 200)
    if (reply.body.length === 0) break
    t.ok(reply.body.length <= 7)
    walked.unshift(...reply.body.map((entry: any) => entry.id))
    before = reply.body[0].id
  }
  t.same(walked, ids, 'every message exactly once, in order')
  t.same((await history({ user_token: 'pager', before: ids[0] })).body, [], 'nothing before the first message')
  t.same((await history({ user_token: 'pager', before: ids[10], limit: 3 })).body, all.slice(7, 10), 'the three just before a given id')
  t.same((await history({ user_token: 'newcomer', before: ids[10] })).body.length, 4, "another user's ids do not matter: before is a bound, not a key")
})

t.test('limit and before are checked', async (t) => {
  const cases: [object, RegExp][] = [
    [{ limit: 0 }, /^limit must be at least 1$/],
    [{ limit: 201 }, /^limit must be at most 200$/],
    [{ limit: 2.5 }, /^limit must be an integer$/],
    [{ limit: '10' }, /^limit must be an integer$/],
    [{ before: 0 }, /^before must be at least 1$/],
    [{ before: -3 }, /^before must be at least 1$/],
    [{ before: 1e20 }, /^before must be at most 9007199254740991$/],
    [{ before: 'abc' }, /^before must be an integer$/],
  ]
  for (const [extra, error] of cases) {
    const reply = await history({ user_token: 'pager', ...extra })
    t.equal(reply.status, 400, JSON.stringify(extra))
    t.match(reply.body, { error }, reply.body.error)
  }
})

t.test('2,000 distinct unknown tokens read history: no user, no message is stored', async (t) => {
  const tokens = Array.from({ length: 2000 }, (_, i) => `reader-${i}`)
  for (let i = 0; i < tokens.length; i += 50) {
    const replies = await Promise.all(tokens.slice(i, i + 50).map((user_token) => history({ user_token })))
    for (const reply of replies) if (reply.status !== 200 || reply.body.length !== 1 || reply.body[0].id !== 0) t.fail(`unexpected reply ${JSON.stringify(reply)}`)
  }
  const counts = { users: await countRows(built.db.sql, 'users'), messages: await countRows(built.db.sql, 'chat_messages') }
  // newcomer and pager are the only users; their messages are 4 and 121.
  t.same(counts, { users: 2, messages: 4 + 121 }, 'the users and messages of the two who wrote, nothing else')
})
