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

t.test('a burst of new users, their first messages and their answers: three statements, every row where it belongs', async (t) => {
  const { repository, counted } = await repositoryOnFreshDatabase(t)
  const tokens = Array.from({ length: USERS }, (_, index) => `token-${index}`)

  const users = await counted(() => Promise.all(tokens.map((token, index) => repository.ensureUser(token, GREETING, application(index)))))
  t.equal(new Set(users.result).size, USERS, 'a user each')
  t.equal(users.statements, 1, 'created in one statement')
  t.same(await Promise.all(tokens.map((token) => repository.findUser(token))), users.result, 'found again by their tokens')

  const started = await counted(() => Promise.all(users.result.map((userId, index) => repository.addHumanMessage(userId, `question ${index}`, application(index), 10))))
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

  const second = await counted(() => Promise.all(users.result.map((userId, index) => repository.addHumanMessage(userId, `again ${index}`, null, 2))))
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
  const users = await Promise.all(['a', 'b', 'c'].map((token) => repository.ensureUser(token, GREETING, null)))
  const turns = await Promise.all(users.map((userId) => repository.addHumanMessage(userId, 'same question', null, 10)))
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
  const [one, two] = await Promise.all([repository.addHumanMessage(userId, 'one', null, 10), repository.addHumanMessage(userId, 'two', null, 10)])
  t.ok(one.humanId < two.humanId)
  t.same(
    (await repository.history(userId, 10)).map((message) => message.content),
    [GREETING, 'one', 'two'],
  )
})
