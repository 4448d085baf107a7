// The chat repository on its own, on the real database: calls made at the same
// moment (a burst of new conversations, turns ending together) share one
// statement, and each still gets exactly its own rows and its own reply.
import t, { type Test } from 'tap'
import { chatRepository } from '../db/chat-repository.ts'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { freshDatabase } from './helpers/data-dir.ts'

const GREETING = 'Hi, I am Jelly'
const USERS = 40

async function repositoryOnFreshDatabase(t: Test) {
  let statements = 0
  const db = await connectDatabase({ ...(await freshDatabase()), onQuery: () => statements++ })
  t.teardown(() => db.close())
  await migrate(db.sql)
  const repository = chatRepository(db.sql)
  /** Runs `work` and returns its result with the statements it sent. */
  const counted = async <T>(work: () => Promise<T>) => {
    const before = statements
    const result = await work()
    return { result, statements: statements - before }
  }
  return { db, repository, counted }
}

const application = (index: number) => (index % 2 ? 'web' : null)

t.test('a burst of turns for known users: their messages in one statement, their answers in another, every row where it belongs', async (t) => {
  const { repository, counted } = await repositoryOnFreshDatabase(t)
  const tokens = Array.from({ length: USERS }, (_, index) => `token-${index}`)

  const lone = await counted(() => repository.ensureUser('lone', GREETING, null))
  t.equal(lone.statements, 1, 'a user on its own: found or made in one statement')
  const users = { result: await Promise.all(tokens.map((token, index) => repository.ensureUser(token, GREETING, application(index)))) }
  t.equal(new Set(users.result).size, USERS, 'a user each')
  t.same(await Promise.all(tokens.map((token) => repository.findUser(token))), users.result, 'found again by their tokens')

  const started = await counted(() => Promise.all(tokens.map((token, index) => repository.startTurn(token, GREETING, `question ${index}`, application(index), 10))))
  t.equal(started.statements, 1, 'the human messages in one statement')
  for (const turn of started.result) t.same(turn.history, [{ message_type: 'jelly', content: GREETING }], 'each history is its own greeting')

  const toolLines = (index: number) => (index % 3 ? [] : [`tool ${index} a`, `tool ${index} b`])
  const completed = await counted(() =>
    Promise.all(
      users.result.map((userId, index) =>
        repository.completeTurn(userId, started.result[index].humanId, `question ${index}`, `answer ${index}`, application(index), toolLines(index)),
      ),
    ),
  )
  t.equal(completed.statements, 1, 'the answers, tool lines and pairs in one statement')

  for (const [index, userId] of users.result.entries()) {
    const history = await repository.history(userId, 50)
    t.same(
      history.map((message) => [message.message_type, message.content, message.application]),
      [
        ['jelly', GREETING, application(index)],
        ['human', `question ${index}`, application(index)],
        ...toolLines(index).map((line) => ['tool', line, application(index)]),
        ['jelly', `answer ${index}`, application(index)],
      ],
      `user ${index}: greeting, question, tool lines, answer, in that order`,
    )
    t.equal(completed.result[index].messageId, history.at(-1)!.id, `user ${index}: the reply names the stored answer`)
    t.equal(completed.result[index].answer, `answer ${index}`)
  }
  const pairs = await repository.listQa(100)
  t.equal(pairs.length, USERS)
  for (const pair of pairs) {
    const index = Number(pair.question.split(' ')[1])
    t.equal(pair.answer, `answer ${index}`, `pair ${index}: its own answer`)
    t.equal(pair.message_id, completed.result[index].messageId, `pair ${index}: linked to its answer`)
  }

  const second = await counted(() => Promise.all(tokens.map((token, index) => repository.startTurn(token, GREETING, `again ${index}`, null, 2))))
  t.equal(second.statements, 1)
  second.result.forEach((turn, index) =>
    t.same(
      turn.history,
      [
        { message_type: 'human', content: `question ${index}` },
        { message_type: 'jelly', content: `answer ${index}` },
      ],
      `user ${index}: the window is the last two messages, tool lines left out`,
    ),
  )
})

t.test('a turn answered before, ending with others: it gets the earlier answer, the others are stored', async (t) => {
  const { repository } = await repositoryOnFreshDatabase(t)
  const turns = await Promise.all(['a', 'b', 'c'].map((token) => repository.startTurn(token, GREETING, 'same question', null, 10)))
  const users = turns.map((turn) => turn.userId)
  const first = await repository.completeTurn(users[0], turns[0].humanId, 'same question', 'the first answer', null)

  const together = await Promise.all(
    users.map((userId, index) => repository.completeTurn(userId, turns[index].humanId, 'same question', `answer ${index}`, null, ['a tool line'])),
  )
  t.same(together[0], first, 'the earlier answer, with its id')
  t.equal(together[1].answer, 'answer 1')
  t.equal(together[2].answer, 'answer 2')
  t.same(
    (await repository.history(users[0], 50)).map((message) => message.content),
    [GREETING, 'same question', 'the first answer', 'a tool line'],
    'the later attempt left its tool line and no second answer',
  )
  t.equal((await repository.listQa(10)).length, 3, 'one pair per question')
})

t.test('the same user twice at one moment (not through the turn queue): both stored, in call order', async (t) => {
  const { repository } = await repositoryOnFreshDatabase(t)
  const userId = await repository.ensureUser('twice', GREETING, null)
  const [one, two] = await Promise.all([repository.startTurn('twice', GREETING, 'one', null, 10), repository.startTurn('twice', GREETING, 'two', null, 10)])
  t.ok(one.humanId < two.humanId)
  t.same(
    (await repository.history(userId, 10)).map((message) => message.content),
    [GREETING, 'one', 'two'],
  )
})

t.test('startTurn: a burst of first messages, new users and known ones not in the cache, in one statement', async (t) => {
  const { db, repository, counted } = await repositoryOnFreshDatabase(t)
  const known = await repository.ensureUser('known', GREETING, null)
  const first = await repository.startTurn('known', GREETING, 'an old question', null, 10)
  await repository.completeTurn(known, first.humanId, 'an old question', 'an old answer', null)
  // A second repository over the same database has an empty cache, as after a restart.
  const restarted = chatRepository(db.sql)
  const tokens = ['known', ...Array.from({ length: USERS }, (_, index) => `new-${index}`)]

  const started = await counted(() => Promise.all(tokens.map((token, index) => restarted.startTurn(token, GREETING, `question ${index}`, application(index), 10))))
  t.equal(started.statements, 1, 'users, greetings and messages in one statement')
  t.equal(started.result[0].userId, known, 'the known token is its old user')
  t.same(
    started.result[0].history,
    [
      { message_type: 'jelly', content: GREETING },
      { message_type: 'human', content: 'an old question' },
      { message_type: 'jelly', content: 'an old answer' },
    ],
    'with its history',
  )
  t.equal(new Set(started.result.map((turn) => turn.userId)).size, tokens.length, 'a user each')
  for (const [index, turn] of started.result.entries()) {
    if (index === 0) continue
    t.same(turn.history, [{ message_type: 'jelly', content: GREETING }], `new user ${index}: the greeting is its history`)
    const stored = await restarted.history(turn.userId, 10)
    t.same(
      stored.map((message) => [message.message_type, message.content, message.application]),
      [
        ['jelly', GREETING, application(index)],
        ['human', `question ${index}`, application(index)],
      ],
      `new user ${index}: greeting, then the question`,
    )
    t.equal(stored[1].id, turn.humanId, `new user ${index}: the question's id is returned`)
  }
  t.same(
    await Promise.all(tokens.map((token) => restarted.findUser(token))),
    started.result.map((turn) => turn.userId),
    'found by their tokens',
  )

  const again = await counted(() => restarted.startTurn('new-1', GREETING, 'with an id', null, 10, 'client-1'))
  t.equal(again.result.userId, started.result[2].userId, 'a client message id takes the one-by-one path, for the same user')
  t.equal((await restarted.startTurn('new-1', GREETING, 'with an id', null, 10, 'client-1')).humanId, again.result.humanId, 'and is found again')
})
