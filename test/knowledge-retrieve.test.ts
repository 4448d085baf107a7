import t from 'tap'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { freshDatabase } from './helpers/data-dir.ts'
import { loadSource } from '../knowledge/sources.ts'
import { ingestSource } from '../knowledge/ingest.ts'
import { createLocalEmbedder } from '../knowledge/embedders/local.ts'
import { createKnowledgeBaseWith } from '../knowledge/index.ts'
import { answerPages } from '../knowledge/retrieve.ts'
import type { Passage } from '../knowledge/extract.ts'

const page = (name: string, content: string, weight: number, heading = name): Passage => ({
  title: name,
  heading,
  url: `https://wiki.example/${name}#${heading.toLowerCase()}`,
  content,
  weight,
})

t.test('the page whose lines answer together is chosen over one that repeats the question in a line', async (t) => {
  const context = [
    page('Ferry', 'The ferry timetable changes in winter.\nTickets are sold at the pier.', 1),
    page('Ferry', 'Winter storms can stop the ferry for a day.', 0.9, 'Weather'),
    page('Harbour', 'The harbour master keeps the winter ferry timetable.\nThe first ferry leaves at 6:40 in winter.\nThe last ferry returns at 21:15.', 0.8),
    page('Seals', 'Seals rest on the sandbank in winter.', 0.7),
  ]
  const chosen = answerPages('when does the first winter ferry leave and when does the last one return?', context)
  t.same([...new Set(chosen.map((passage) => passage.title))], ['Harbour'], 'one page; the others add nothing it lacks')
  t.same(chosen, [context[2]], 'its passages unchanged')
})

t.test('a second page that answers nearly as well stays; a weak one does not', async (t) => {
  const context = [
    page('Lamp', 'The keeper lights the lamp at sunset.\nThe lamp burns for 11 hours in winter.', 1),
    page('Tides', 'High tide reaches 4.2 metres at spring tide.\nAt spring tide boats leave two hours early.', 0.9),
    page('Seals', 'Grey seals rest on the sandbank.', 0.8),
  ]
  const chosen = answerPages('how long does the lamp burn in winter, and how high is the spring tide?', context)
  t.same([...new Set(chosen.map((passage) => passage.title))].sort(), ['Lamp', 'Tides'])
  t.same(answerPages('zebra quokka', context), context, 'no line matches: the context is left to the answer to judge')
})

t.test('of pages that answer about as well, the one whose title the question names is chosen', async (t) => {
  const context = [
    page('Harbour', 'The ferry and the boats wait in the basin in a storm.\nThe storm warning is raised at the pier.', 1, 'Weather'),
    page('Pier', 'Boats wait at the pier in a storm.', 0.95, 'Mooring'),
    page('Ferry', 'The crossing waits in a storm.\nIt takes 40 minutes.', 0.9, 'Crossing'),
  ]
  const chosen = answerPages('does the ferry wait in a storm?', context)
  t.same([...new Set(chosen.map((passage) => passage.title))], ['Ferry'])
})

t.test('retrieve answers from the page the question is about', async (t) => {
  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  await migrate(db.sql)
  const embedder = createLocalEmbedder()
  const docs = fileURLToPath(new URL('./fixtures/knowledge/docs/en', import.meta.url))
  await ingestSource(db.sql, embedder, await loadSource(docs))
  const kb = createKnowledgeBaseWith({ sql: db.sql, embedder, log: pino({ level: 'silent' }) })
  const { highlights, passages } = await kb.retrieve('how many seals rest on the sandbank?')
  t.match(highlights[0]?.text, /300 grey seals/)
  t.same([...new Set(highlights.map((highlight) => highlight.title))], ['Seal colony'])
  t.ok(passages.length > 1, 'the model still gets the other good passages')
})
