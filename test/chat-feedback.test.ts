// POST /feedback: a user rates Jelly's answers to them (up or down, a comment),
// replaceably; everything else is refused with a 4xx naming the problem. The
// rating shows in /messages_answers next to its turn. Through buildTestApp() and inject().
import t from 'tap'
import { buildTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'
import { countRows } from './helpers/database.ts'

const ADMIN_TOKEN = 'admin-token-for-feedback-tests'
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }
const server = await buildTestApp(t, { ADMIN_TOKEN })
const http = injector(server.app)
const feedback = (body: object) => http.post('/feedback', body)
const ask = async (user_token: string, message: string) => {
  const reply = await http.post('/user_message', { user_token, message })
  if (reply.status !== 200) throw new Error(`turn failed: ${JSON.stringify(reply)}`)
  return reply.body.message_id as number
}
const qaRow = async (messageId: number) => ((await http.get('/messages_answers?limit=500', ADMIN)).body as any[]).find((row) => row.message_id === messageId)

const alice = await ask('alice', 'what is 2 plus 2?')
const aliceSecond = await ask('alice', 'what is 3 plus 3?')
const bob = await ask('bob', 'what is 4 plus 4?')

t.test('every answered turn in /messages_answers names its answer, without a rating yet', async (t) => {
  const rows = (await http.get('/messages_answers', ADMIN)).body
  t.same(
    rows.map((row: any) => [row.message_id, row.question, row.rating, row.comment]),
    [
      [bob, 'what is 4 plus 4?', null, null],
      [aliceSecond, 'what is 3 plus 3?', null, null],
      [alice, 'what is 2 plus 2?', null, null],
    ],
  )
  const history = (await http.post('/history', { user_token: 'alice' })).body
  t.equal(history.find((entry: any) => entry.id === alice)?.content, '2 + 2 = 4 🧮', 'message_id is the answer in /history')
})

t.test('a rating is stored, replaced by the next one, and shown with its comment', async (t) => {
  t.same(await feedback({ user_token: 'alice', message_id: alice, rating: 'up' }), {
    status: 200,
    body: { message_id: alice, rating: 'up', comment: null, replaced: false },
  })
  t.match(await qaRow(alice), { rating: 'up', comment: null })

  t.same(await feedback({ user_token: 'alice', message_id: alice, rating: 'down', comment: '  I asked for 2 + 3  ' }), {
    status: 200,
    body: { message_id: alice, rating: 'down', comment: 'I asked for 2 + 3', replaced: true },
  })
  t.match(await qaRow(alice), { rating: 'down', comment: 'I asked for 2 + 3' }, 'the second rating replaced the first')
  t.match(await qaRow(aliceSecond), { rating: null, comment: null }, 'other answers are untouched')

  t.same((await feedback({ user_token: 'alice', message_id: alice, rating: 'up', comment: '' })).body.comment, null, 'an empty comment is no comment')
  t.match(await qaRow(alice), { rating: 'up', comment: null })
})

t.test('refused: another user, an unknown id, a human, tool or greeting message, an unknown user', async (t) => {
  const history = (await http.post('/history', { user_token: 'alice' })).body
  const idOf = (type: string) => history.find((entry: any) => entry.message_type === type).id
  const cases: [string, object, number, RegExp][] = [
    ["bob rates alice's answer", { user_token: 'bob', message_id: alice, rating: 'down' }, 403, new RegExp(`^message_id ${alice} is not one of this user's messages$`)],
    ['alice rates bob', { user_token: 'alice', message_id: bob, rating: 'up' }, 403, /is not one of this user's messages/],
    ['a token that never wrote', { user_token: 'mallory', message_id: alice, rating: 'down' }, 403, /is not one of this user's messages/],
    ['an unknown id', { user_token: 'alice', message_id: 987654, rating: 'up' }, 404, /^message_id 987654 does not exist$/],
    ['her own question', { user_token: 'alice', message_id: idOf('human'), rating: 'up' }, 400, /is a human message, not one of Jelly's answers/],
    ['a tool line', { user_token: 'alice', message_id: idOf('tool'), rating: 'up' }, 400, /is a tool message, not one of Jelly's answers/],
    ['the greeting', { user_token: 'alice', message_id: history[0].id, rating: 'up' }, 400, /is Jelly's greeting, not one of Jelly's answers/],
  ]
  for (const [name, body, status, error] of cases) {
    const reply = await feedback(body)
    t.equal(reply.status, status, `${name}: ${status}`)
    t.match(reply.body, { error }, `${name}: ${reply.body.error}`)
  }
  t.match(await qaRow(alice), { rating: 'up', comment: null }, "alice's rating stands")
  t.match(await qaRow(bob), { rating: null }, "bob's answer has no rating")
})

t.test('the body is checked', async (t) => {
  const base = { user_token: 'alice', message_id: alice, rating: 'up' }
  const cases: [object, RegExp][] = [
    [{ ...base, rating: 'meh' }, /^rating must be one of "up", "down"$/],
    [{ ...base, rating: undefined }, /^rating is required$/],
    [{ ...base, message_id: undefined }, /^message_id is required$/],
    [{ ...base, message_id: String(alice) }, /^message_id must be an integer$/],
    [{ ...base, message_id: 0 }, /^message_id must be at least 1$/],
    [{ ...base, message_id: 1e20 }, /^message_id must be at most/],
    [{ ...base, user_token: '' }, /^user_token must not be empty$/],
    [{ ...base, comment: 'x'.repeat(1001) }, /^comment is too long \(the limit is 1000 characters\)$/],
    [{ ...base, comment: 5 }, /^comment must be a string$/],
  ]
  for (const [body, error] of cases) {
    const reply = await feedback(body)
    t.equal(reply.status, 400, JSON.stringify(body).slice(0, 80))
    t.match(reply.body, { error }, reply.body.error)
  }
  t.same(
    server.logs.filter((line) => line.level >= 50),
    [],
    'nothing was logged as an error',
  )
})

t.test('ratings are rows of their own: one per rated answer', async (t) => {
  await feedback({ user_token: 'bob', message_id: bob, rating: 'down' })
  t.equal(await countRows(server.db.sql, 'feedback'), 2, "alice's one answer and bob's")
})
