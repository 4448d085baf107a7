// Migration 004 links the qa rows stored before it to their answers, so old
// answers can be rated and show their rating in /messages_answers.
import { cp, mkdtemp, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { chatRepository } from '../db/chat-repository.ts'
import { freshDataDir } from './helpers/data-dir.ts'

const MIGRATIONS = fileURLToPath(new URL('../migrations/', import.meta.url))

t.test('rows from before migration 004 get their answer linked, one answer per row', async (t) => {
  const db = await connectDatabase({ dataDir: await freshDataDir() })
  t.teardown(() => db.close())
  const sql = db.sql
  const older = await mkdtemp(join(tmpdir(), 'jelly-migrations-'))
  for (const name of await readdir(MIGRATIONS)) if (name < '004') await cp(join(MIGRATIONS, name), join(older, name))
  await migrate(sql, older)

  // As the chat service stored turns before: the answer and its qa row in one statement.
  const [{ user_id: userId }] = await sql`insert into users (user_token) values ('old-timer') returning user_id`
  const oldTurn = async (question: string, answer: string) => {
    await sql`insert into chat_messages (user_id, message_type, content) values (${userId}, 'human', ${question})`
    const [row] = await sql`
      with jelly as (insert into chat_messages (user_id, message_type, content) values (${userId}, 'jelly', ${answer}) returning id),
      pair as (insert into qa (question, answer) values (${question}, ${answer}))
      select id from jelly`
    return Number(row.id)
  }
  const first = await oldTurn('what is 1 plus 1?', '1 + 1 = 2 🧮')
  const second = await oldTurn('what is 1 plus 1?', '1 + 1 = 2 🧮')
  const third = await oldTurn('hello?', 'Hi there 🪼')
  // A qa row whose answer is nowhere (e.g. edited by hand) stays unlinked.
  await sql`insert into qa (question, answer) values ('lost', 'gone')`

  t.same(
    (await migrate(sql)).filter((name) => name < '006'),
    ['004_answer_links_feedback.sql', '005_client_message_id.sql'],
  )
  const rows = await chatRepository(sql).listQa(10)
  t.same(
    rows.map((row) => [row.question, row.message_id]),
    [
      ['lost', null],
      ['hello?', third],
      ['what is 1 plus 1?', second],
      ['what is 1 plus 1?', first],
    ],
    'each old row names its own answer, even where two turns had the same text',
  )
  const repository = chatRepository(sql)
  t.same(await repository.rateAnswer(Number(userId), first, 'up', null), { kind: 'stored' }, 'an old answer can be rated')
})
