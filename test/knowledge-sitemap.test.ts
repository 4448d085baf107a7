import t from 'tap'
import pino from 'pino'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { freshDatabase } from './helpers/data-dir.ts'
import { loadSource } from '../knowledge/sources.ts'
import { ingestSource } from '../knowledge/ingest.ts'
import { createLocalEmbedder } from '../knowledge/embedders/local.ts'
import { createKnowledgeBaseWith } from '../knowledge/index.ts'
import { articleHtml, startFakeSite } from './fakes/site.ts'

const paragraph = (text: string) => `<p>${text} ${'This paragraph is padded so that Readability treats it as real content. '.repeat(2)}</p>`

t.test('sitemap ingestion: pages load politely, failures are reported, the rest ingest', async (t) => {
  const site = await startFakeSite()
  t.teardown(() => site.close())
  site.pages.set('/ferry', articleHtml('Ferry', `${paragraph('The ferry leaves at 9 every morning.')}<h2 id="tickets">Tickets</h2>${paragraph('A ticket costs 4 coins.')}`))
  site.pages.set('/market', articleHtml('Market', paragraph('The fish market opens on Fridays.')))
  site.listed.push('/ferry', '/market', '/broken', '/slow')

  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  await migrate(db.sql)
  const embedder = createLocalEmbedder()
  const kb = createKnowledgeBaseWith({ sql: db.sql, embedder, log: pino({ level: 'silent' }) })

  const loaded = await loadSource(`${site.url}/sitemap_index.xml`, { timeoutMs: 500, concurrency: 2 })
  t.equal(loaded.origin, `${site.url}/sitemap_index.xml`)
  t.same(loaded.pages.map((page) => page.source), [`${site.url}/ferry`, `${site.url}/market`])
  t.same(loaded.failures.map((failure) => failure.source).sort(), [`${site.url}/broken`, `${site.url}/slow`])
  t.match(loaded.failures.find((failure) => failure.source.endsWith('/broken'))?.error, /HTTP 500/)
  t.match(loaded.failures.find((failure) => failure.source.endsWith('/slow'))?.error, /no answer within 0.5 s/)

  t.match(await ingestSource(db.sql, embedder, loaded), { added: 2, failed: 2 })
  const [hit] = await kb.search('how much is a ferry ticket?')
  t.match(hit, { source: `${site.url}/ferry`, title: 'Ferry', url: `${site.url}/ferry#tickets`, heading: 'Tickets' })
  t.notMatch(hit.content, /cookie|menu/i)

  // The market page disappears from the site; a flaky page that failed is kept.
  site.listed.splice(site.listed.indexOf('/market'), 1)
  site.pages.set('/ferry', articleHtml('Ferry', `${paragraph('The ferry leaves at 10 every morning.')}`))
  const again = await ingestSource(db.sql, embedder, await loadSource(`${site.url}/sitemap_index.xml`, { timeoutMs: 500 }))
  t.match(again, { changed: 1, removed: 1, unchanged: 0 })
})

t.test('a single page URL that fails gives one clear error', async (t) => {
  const site = await startFakeSite()
  t.teardown(() => site.close())
  await t.rejects(loadSource(`${site.url}/missing`), /Could not load http:\/\/127\.0\.0\.1:\d+\/missing: HTTP 404/)
  await t.rejects(loadSource(`${site.url}/sitemap_missing.xml`), /Could not read the sitemap/)
})
