import t, { type Test } from 'tap'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { freshDatabase } from './helpers/data-dir.ts'
import { loadSource } from '../knowledge/sources.ts'
import { ingestSource } from '../knowledge/ingest.ts'
import { createLocalEmbedder } from '../knowledge/embedders/local.ts'
import { createKnowledgeBaseWith, type KnowledgeBase } from '../knowledge/index.ts'
import { hybridSearch } from '../knowledge/search.ts'

const docs = (lang: string) => fileURLToPath(new URL(`./fixtures/knowledge/docs/${lang}`, import.meta.url))

async function fixtureBase(t: Test): Promise<{ kb: KnowledgeBase; sql: import('../db/connect.ts').Sql }> {
  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  await migrate(db.sql)
  const embedder = createLocalEmbedder()
  await ingestSource(db.sql, embedder, await loadSource(docs('en')))
  await ingestSource(db.sql, embedder, await loadSource(docs('de')))
  return { kb: createKnowledgeBaseWith({ sql: db.sql, embedder, log: pino({ level: 'silent' }) }), sql: db.sql }
}

t.test('hybrid search ranks the page that answers first', async (t) => {
  const { kb, sql } = await fixtureBase(t)
  const cases: [string, string][] = [
    ['when does the keeper switch the lamp on?', 'en/Lighthouse.md'],
    ['how high is the water at spring tide', 'en/Tides.md'],
    ['how many seals live on the sandbank', 'en/Seals.md'],
    ['lampctl', 'en/Lighthouse.md'],
    ['lighthuose keeper', 'en/Lighthouse.md'],
  ]
  for (const [query, source] of cases) t.equal((await kb.search(query))[0]?.source, source, query)

  const hits = await kb.search('tide harbour boats lamp seals', { k: 10 })
  t.equal(new Set(hits.map((hit) => hit.source)).size, hits.length, 'one passage per page')
  t.ok(
    hits.every((hit, index) => index === 0 || hits[index - 1].score >= hit.score),
    'best first',
  )
  t.same(Object.keys(hits[0]).sort(), ['content', 'heading', 'lang', 'score', 'source', 'title', 'url'])
  t.equal((await kb.search('lamp', { k: 1 })).length, 1, 'k limits the hits')

  // Both lists contribute: a typo only the n-gram vectors catch, an exact code word full-text finds.
  const both = await hybridSearch(sql, { text: 'lampctl', vector: await kb.embedder.embedQuery('lampctl'), langs: ['en'], ftsLang: 'en', candidates: 10 })
  t.equal(both[0].source, 'en/Lighthouse.md')
})

t.test('German questions get German pages, English ones English', async (t) => {
  const { kb } = await fixtureBase(t)
  const german = await kb.search('Wann schaltet der Wärter die Lampe ein?')
  t.equal(german[0].source, 'de/Leuchtturm.md')
  t.ok(german.every((hit) => hit.lang === 'de'))
  t.equal((await kb.search('When does the keeper switch the lamp on?'))[0].source, 'en/Lighthouse.md')
  t.equal((await kb.search('lamp', { lang: 'de' }))[0].lang, 'de', 'an explicit language wins')
  t.ok((await kb.languages()).includes('de'))
})

t.test('a language filter keeps to it; without one every language is searched', async (t) => {
  const { kb, sql } = await fixtureBase(t)
  const text = 'Leuchtturm lighthouse lamp Lampe'
  const search = async (langs: string[] | null) => hybridSearch(sql, { text, vector: await kb.embedder.embedQuery(text), langs, ftsLang: 'en', candidates: 10 })
  t.same([...new Set((await search(['de'])).map((chunk) => chunk.lang))], ['de'])
  const sources = new Set((await search(null)).map((chunk) => chunk.source))
  t.ok(sources.has('de/Leuchtturm.md') && sources.has('en/Lighthouse.md'), 'both languages')
})
