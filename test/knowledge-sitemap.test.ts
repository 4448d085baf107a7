import t from 'tap'
import pino from 'pino'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { freshDataDir } from './helpers/data-dir.ts'
import { loadSource } from '../knowledge/sources.ts'
import { formatSummary, ingestSource } from '../knowledge/ingest.ts'
import { createLocalEmbedder } from '../knowledge/embedders/local.ts'
import { createKnowledgeBaseWith } from '../knowledge/index.ts'
import { articleHtml, startFakeSite } from './fakes/site.ts'

const paragraph = (text: string) => `<p>${text} ${'This paragraph is padded so that Readability treats it as real content. '.repeat(2)}</p>`

t.test('sitemap ingestion: pages load politely, failures are reported, the rest ingest', async (t) => {
  const site = await startFakeSite()
  t.teardown(() => site.close())
  site.pages.set(
    '/ferry',
    articleHtml('Ferry', `${paragraph('The ferry leaves at 9 every morning.')}<h2 id="tickets">Tickets</h2>${paragraph('A ticket costs 4 coins.')}`),
  )
  site.pages.set('/market', articleHtml('Market', paragraph('The fish market opens on Fridays.')))
  site.listed.push('/ferry', '/market', '/broken', '/slow')

  const db = await connectDatabase({ dataDir: await freshDataDir() })
  t.teardown(() => db.close())
  await migrate(db.sql)
  const embedder = createLocalEmbedder()
  const kb = createKnowledgeBaseWith({ sql: db.sql, embedder, log: pino({ level: 'silent' }) })

  const loaded = await loadSource(`${site.url}/sitemap_index.xml`, { timeoutMs: 2000, concurrency: 2, allowPrivate: true })
  t.equal(loaded.origin, `${site.url}/sitemap_index.xml`)
  t.same(
    loaded.pages.map((page) => page.source),
    [`${site.url}/ferry`, `${site.url}/market`],
  )
  t.same(loaded.failures.map((failure) => failure.source).sort(), [`${site.url}/broken`, `${site.url}/slow`])
  t.match(loaded.failures.find((failure) => failure.source.endsWith('/broken'))?.error, /HTTP 500/)
  t.match(loaded.failures.find((failure) => failure.source.endsWith('/slow'))?.error, /no answer within 2 s/)

  t.match(await ingestSource(db.sql, embedder, loaded), { added: 2, failed: 2 })
  const [hit] = await kb.search('how much is a ferry ticket?')
  t.match(hit, { source: `${site.url}/ferry`, title: 'Ferry', url: `${site.url}/ferry#tickets`, heading: 'Tickets' })
  t.notMatch(hit.content, /cookie|menu/i)

  // The market page disappears from the site; a flaky page that failed is kept.
  site.listed.splice(site.listed.indexOf('/market'), 1)
  site.pages.set('/ferry', articleHtml('Ferry', `${paragraph('The ferry leaves at 10 every morning.')}`))
  const again = await ingestSource(db.sql, embedder, await loadSource(`${site.url}/sitemap_index.xml`, { timeoutMs: 2000, allowPrivate: true }))
  t.match(again, { changed: 1, removed: 1, unchanged: 0 })
})

t.test('a single page URL that fails gives one clear error', async (t) => {
  const site = await startFakeSite()
  t.teardown(() => site.close())
  await t.rejects(loadSource(`${site.url}/missing`, { allowPrivate: true }), /Could not load http:\/\/127\.0\.0\.1:\d+\/missing: HTTP 404/)
  await t.rejects(loadSource(`${site.url}/sitemap_missing.xml`, { allowPrivate: true }), /Could not read the sitemap/)
})

// The fake sites run on 127.0.0.1, so every test that fetches from them allows
// private addresses explicitly; the CLI and INGEST_ON_START never do by default.
t.test('private and loopback addresses are refused unless allowed', async (t) => {
  const site = await startFakeSite()
  t.teardown(() => site.close())
  site.pages.set('/ferry', articleHtml('Ferry', paragraph('The ferry leaves at 9 every morning.')))
  site.listed.push('/ferry')
  await t.rejects(loadSource(`${site.url}/ferry`), /Could not load .*: refused: 127\.0\.0\.1 is a private or loopback address/)
  await t.rejects(loadSource(`${site.url}/sitemap.xml`), /Could not read the sitemap .*private or loopback/)
  const port = new URL(site.url).port
  // A name that resolves to a loopback address is refused on the address connected to.
  await t.rejects(loadSource(`http://localhost:${port}/ferry`), /refused: localhost resolves to a private or loopback address/)
  for (const address of ['10.1.2.3', '169.254.169.254', '[::1]', '[fd00::1]', '[::ffff:127.0.0.1]', '0.0.0.0']) {
    await t.rejects(loadSource(`http://${address}/page`), /private or loopback/, address)
  }
  t.same(site.requests, [], 'nothing was requested')
  t.equal((await loadSource(`${site.url}/ferry`, { allowPrivate: true })).pages.length, 1, 'allowed explicitly')
})

t.test("only the sitemap's own origin unless more are allowed, redirects included", async (t) => {
  const site = await startFakeSite()
  const other = await startFakeSite()
  t.teardown(() => Promise.all([site.close(), other.close()]))
  site.pages.set('/ferry', articleHtml('Ferry', paragraph('The ferry leaves at 9 every morning.')))
  other.pages.set('/elsewhere', articleHtml('Elsewhere', paragraph('A page on another origin.')))
  site.redirects.set('/moved', `${other.url}/elsewhere`)
  site.listed.push('/ferry', `${other.url}/elsewhere`, '/moved')

  const loaded = await loadSource(`${site.url}/sitemap.xml`, { allowPrivate: true, timeoutMs: 2000 })
  t.same(
    loaded.pages.map((page) => page.source),
    [`${site.url}/ferry`],
  )
  t.match(loaded.limits, { offOrigin: 1 }, 'the entry on another origin is skipped')
  t.match(loaded.failures, [{ source: `${site.url}/moved`, error: `refused: ${other.url} is not an allowed origin` }], 'a redirect elsewhere is refused')
  t.same(other.requests, [], 'the other origin was never asked')

  const widened = await loadSource(`${site.url}/sitemap.xml`, { allowPrivate: true, allowOrigins: [other.url], timeoutMs: 2000 })
  t.same(widened.pages.map((page) => page.source).sort(), [`${site.url}/ferry`, `${site.url}/moved`, `${other.url}/elsewhere`].sort())
  t.match(widened.limits, { offOrigin: 0 })
})

t.test('page and byte caps hold pages back, are reported, and keep what the base has', async (t) => {
  const site = await startFakeSite()
  t.teardown(() => site.close())
  for (const name of ['a', 'b', 'c', 'd']) site.pages.set(`/${name}`, articleHtml(`Page ${name}`, paragraph(`Page ${name} talks about boat number ${name}.`)))
  site.pages.set('/huge', articleHtml('Huge', paragraph('x '.repeat(40_000))))
  site.listed.push('/a', '/b', '/c', '/d')
  const db = await connectDatabase({ dataDir: await freshDataDir() })
  t.teardown(() => db.close())
  await migrate(db.sql)
  const embedder = createLocalEmbedder()

  const all = await ingestSource(db.sql, embedder, await loadSource(`${site.url}/sitemap.xml`, { allowPrivate: true }))
  t.match(all, { added: 4, limits: { overPageCap: 0, overByteCap: 0 } })

  const capped = await loadSource(`${site.url}/sitemap.xml`, { allowPrivate: true, maxPages: 2, concurrency: 1 })
  t.equal(capped.pages.length, 2)
  t.match(capped.limits, { maxPages: 2, overPageCap: 2 })
  const summary = await ingestSource(db.sql, embedder, capped)
  t.match(summary, { removed: 0, unchanged: 2 }, 'pages held back by the cap are not removed')
  t.match(formatSummary(summary), /page cap 2, 2 pages over the page cap not fetched/)

  // A byte cap of two and a half pages: once it is spent (the sitemap counts too) the rest wait.
  const page = Buffer.byteLength(site.pages.get('/a')!)
  const bytes = await loadSource(`${site.url}/sitemap.xml`, { allowPrivate: true, maxBytes: Math.floor(page * 2.5), concurrency: 1 })
  t.ok(bytes.pages.length >= 1 && bytes.pages.length < 4, `${bytes.pages.length} pages fetched within the byte cap`)
  t.equal(bytes.limits!.overByteCap, 4 - bytes.pages.length)
  t.ok(bytes.limits!.bytes >= page * 2.5, 'stopped once the cap was spent')
  t.match(formatSummary(await ingestSource(db.sql, embedder, bytes)), /pages not fetched after the byte cap/)

  site.listed.push('/huge')
  const huge = await loadSource(`${site.url}/sitemap.xml`, { allowPrivate: true, maxBytes: 50_000, concurrency: 1 })
  t.match(huge.failures, [{ source: `${site.url}/huge`, error: 'larger than the 50000-byte page cap' }], 'one response may not exceed the cap')
})
