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
import { createWikiTool, type WikiArgs } from '../tools/wiki.ts'
import { createToolRunner } from '../agent/run-tool-calls.ts'

const log = pino({ level: 'silent' })
const docs = (lang: string) => fileURLToPath(new URL(`./fixtures/knowledge/docs/${lang}`, import.meta.url))
const context = () => ({ signal: AbortSignal.timeout(10_000), log })

t.test('wiki tool on an empty base explains how to ingest', async (t) => {
  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  await migrate(db.sql)
  const wiki = createWikiTool(createKnowledgeBaseWith({ sql: db.sql, embedder: createLocalEmbedder(), log }))
  const message = { message: 'What is a masternode?', recentHumanMessages: [] }
  const args = wiki.offline!.plan(message)!
  const result = await wiki.run(args, context())
  t.same(result.passages, [])
  t.match(result.note, /npm run ingest -- https:\/\/www\.defichainwiki\.com\/sitemap\.xml/)
  t.match(wiki.offline!.answer(result, args, message), /empty[\s\S]*npm run ingest -- https:\/\/www\.defichainwiki\.com\/sitemap\.xml/)
})

t.test('wiki tool answers from the base, extractively and with sources', async (t) => {
  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  await migrate(db.sql)
  const embedder = createLocalEmbedder()
  await ingestSource(db.sql, embedder, await loadSource(docs('en'), { baseUrl: 'https://wiki.example/docs' }))
  await ingestSource(db.sql, embedder, await loadSource(docs('de'), { baseUrl: 'https://wiki.example/de/docs' }))
  const wiki = createWikiTool(createKnowledgeBaseWith({ sql: db.sql, embedder, log }))

  t.equal(wiki.offline!.plan({ message: '', recentHumanMessages: [] }), undefined, 'nothing to look up')
  t.same(wiki.offline!.plan({ message: 'and in winter?', recentHumanMessages: ['how long does the lamp burn?'] }), {
    query: 'how long does the lamp burn? and in winter?',
  })

  const message = { message: 'How many hours does the lamp burn in winter?', recentHumanMessages: [] }
  const args = wiki.offline!.plan(message)!
  t.same(args, { query: message.message })
  const result = await wiki.run(args, context())
  t.ok(JSON.stringify(result).length < 2500, 'small enough for the model')
  t.match(result.passages[0], { title: 'Lighthouse keeping', url: 'https://wiki.example/docs/Lighthouse#lamp-schedule' })
  const answer = wiki.offline!.answer(result, args, message)
  t.match(answer, /11 hours in winter/, 'the sentence with the fact')
  t.match(answer, /\*\*Lamp schedule\*\*\n(.+\n)*.*11 hours in winter/, 'under the name of its section')
  t.match(answer, /\[Lighthouse keeping › Lamp schedule\]\(https:\/\/wiki\.example\/docs\/Lighthouse#lamp-schedule\)/, 'links its source')
  t.notMatch(answer, /seal/i, 'no unrelated sentences')

  const german = { message: 'Wie lange brennt die Lampe im Winter?', recentHumanMessages: [] }
  const germanArgs = wiki.offline!.plan(german)!
  const germanAnswer = wiki.offline!.answer(await wiki.run(germanArgs, context()), germanArgs, german)
  t.match(germanAnswer, /11 Stunden/)
  t.match(germanAnswer, /Quelle[\s\S]*https:\/\/wiki\.example\/de\/docs\/Leuchtturm#lampenplan/)

  // The runner checks the arguments against the schema the argument type comes from.
  const runner = createToolRunner([wiki], 10_000)
  t.same(await runner.runTool('wiki', { query: '  ' }, context()), { ok: false, kind: 'invalid_arguments', error: 'Invalid arguments: query must not be empty.' })
  t.same(await runner.runTool('wiki', { query: 7 }, context()), { ok: false, kind: 'invalid_arguments', error: 'Invalid arguments: query must be a string.' })
  t.same(await runner.runTool('wiki', {}, context()), { ok: false, kind: 'invalid_arguments', error: 'Invalid arguments: query is required.' })
})

t.test('the offline answer shows each run of lines under its section, a short one with its parent', async (t) => {
  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  const wiki = createWikiTool(createKnowledgeBaseWith({ sql: db.sql, embedder: createLocalEmbedder(), log }))
  const page = 'https://wiki.example/docs/Harbour'
  const line = (text: string, heading: string, anchor: string) => ({ text, title: 'Harbour', heading, url: `${page}#${anchor}` })
  const result = {
    highlights: [
      line('- Open all year', 'Harbour › Moorings › Pros', 'pros'),
      line('- Shelter from storms', 'Harbour › Moorings › Pros', 'pros'),
      line('A mooring costs 12 coins a night.', 'Harbour › Mooring fees and payment', 'fees'),
    ],
    passages: [{ source: 'en/Harbour.md', title: 'Harbour', heading: 'Harbour', url: page, content: 'x' }],
  }
  const message = { message: 'what speaks for a mooring?', recentHumanMessages: [] }
  const answer = wiki.offline!.answer(result, { query: message.message }, message)
  t.match(answer, /\*\*Moorings › Pros\*\*\n• Open all year\n• Shelter from storms\n\n\*\*Mooring fees and payment\*\*\nA mooring costs 12 coins a night\./)
  t.match(answer, /Sources:\n- \[Harbour › Harbour › Moorings › Pros\]\(https:\/\/wiki\.example\/docs\/Harbour#pros\)/)
})

// Checked by tsc (part of npm test): the argument type comes from the schema, so it is not `any`.
// @ts-expect-error query is a string
void ({ query: 7 } satisfies WikiArgs)
// @ts-expect-error query is required
void ({} satisfies WikiArgs)

t.test('with no answering line, the closest pages are listed, each once', async (t) => {
  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  const wiki = createWikiTool(createKnowledgeBaseWith({ sql: db.sql, embedder: createLocalEmbedder(), log }))
  const passage = (content: string, heading: string, anchor: string) => ({
    source: 'Harbour.md',
    title: 'Harbour',
    heading,
    url: `https://wiki.example/docs/Harbour#${anchor}`,
    content,
  })
  // Two passages of one section (a long section is chunked), and another section.
  const result = {
    highlights: [],
    passages: [passage('Boats.', 'Moorings', 'moorings'), passage('More boats.', 'Moorings', 'moorings'), passage('Fees.', 'Fees', 'fees')],
  }
  const message = { message: 'zzz?', recentHumanMessages: [] }
  const answer = wiki.offline!.answer(result, { query: 'zzz?' }, message)
  t.match(answer, /come closest/)
  t.equal(answer.split('[Harbour › Moorings](https://wiki.example/docs/Harbour#moorings)').length - 1, 1, 'the section is listed once')
  t.match(answer, /\[Harbour › Fees\]\(https:\/\/wiki\.example\/docs\/Harbour#fees\)/)
})
