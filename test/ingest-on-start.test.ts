// INGEST_ON_START: a server that owns its embedded database fills its own
// knowledge base after it starts listening, with `npm run ingest` arguments.
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { loadConfig } from '../server/config.ts'
import { startServer } from './helpers/server.ts'

const DOCS = fileURLToPath(new URL('./fixtures/knowledge/docs/', import.meta.url))

t.test('the configured folders are ingested in the background after start', async (t) => {
  const server = await startServer(t, { INGEST_ON_START: `${DOCS}en --base-url https://example.org/docs; ${DOCS}de --lang de` })
  const summaries = () => server.logs.filter((line) => /^ingested:/.test(line.msg))
  for (let i = 0; i < 100 && summaries().length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(summaries().length, 2, 'one summary line per source')
  t.match(summaries()[0], { source: `${DOCS}en`, added: 3 })

  const hits: { url: string }[] = await (await fetch(`${server.url}/search?q=tides&k=3`)).json()
  t.ok(hits.length > 0, 'the wiki answers once ingestion ran')
  t.match(hits[0].url, /^https:\/\/example\.org\/docs\//)
})

t.test('a malformed INGEST_ON_START is a configuration error naming the variable', async (t) => {
  t.throws(() => loadConfig({ INGEST_ON_START: 'docs --lang english' }), /INGEST_ON_START: "docs --lang english": --lang takes a two-letter/)
  t.throws(() => loadConfig({ INGEST_ON_START: 'a b' }), /INGEST_ON_START: "a b": expected one source/)
  t.same(loadConfig({ INGEST_ON_START: ' docs/en --reset ;; https://x.org/sitemap.xml ' }).ingestOnStart, [
    { source: 'docs/en', reset: true, lang: undefined, baseUrl: undefined },
    { source: 'https://x.org/sitemap.xml', reset: false, lang: undefined, baseUrl: undefined },
  ])
})
