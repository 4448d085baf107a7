// INGEST_ON_START: a server that owns its embedded database fills its own
// knowledge base after it starts listening, with `npm run ingest` arguments.
// startServer, not buildTestApp: ingestion on start and INGEST_EVERY are server/start.ts's.
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { loadConfig } from '../server/config.ts'
import { startServer } from './helpers/server.ts'
import { buildTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'

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

t.test('INGEST_EVERY runs the jobs again, incrementally, one summary line and one metric per run', async (t) => {
  const { cp, mkdtemp, writeFile } = await import('node:fs/promises')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const folder = await mkdtemp(join(tmpdir(), 'jelly-docs-'))
  await cp(`${DOCS}en`, folder, { recursive: true })
  const server = await startServer(t, { INGEST_ON_START: `${folder} --base-url https://example.org/docs`, INGEST_EVERY: '400ms' })
  const scheduled = () => server.logs.filter((line) => line.trigger === 'schedule' && /^scheduled ingestion/.test(line.msg))
  const waitFor = async (count: number) => {
    for (let i = 0; i < 150 && scheduled().length < count; i++) await new Promise((resolve) => setTimeout(resolve, 100))
    t.ok(scheduled().length >= count, `${count} scheduled runs so far`)
  }
  await waitFor(1)
  t.match(
    scheduled()[0],
    { msg: /^scheduled ingestion: Pages: 0 added, 0 changed, 0 removed, 3 unchanged/, unchanged: 3, added: 0, jobs: 1 },
    'a run over unchanged pages changes nothing',
  )
  const before = scheduled().length
  await writeFile(join(folder, 'Reef.md'), '---\ntitle: Reef\n---\n\n# Reef\n\nThe coral reef glows at night with plankton.\n')
  await waitFor(before + 2)
  t.ok(
    scheduled()
      .slice(before)
      .some((line) => line.added === 1),
    'a new page is picked up by the next run',
  )
  const hits: { title: string }[] = await (await fetch(`${server.url}/search?q=coral+reef+plankton&k=1`)).json()
  t.equal(hits[0]?.title, 'Reef', 'and can be found')
  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  const runs = Number(/jelly_ingest_runs_total\{trigger="schedule",outcome="ok"\} (\d+)/.exec(metrics)?.[1])
  t.ok(runs >= before + 2, `scheduled runs counted in metrics (${runs})`)
  t.match(metrics, /jelly_ingest_runs_total\{trigger="start",outcome="ok"\} 1/, 'the run at start too')
})

t.test('only one instance runs a scheduled ingestion at a time (a lease on the database)', async (t) => {
  const { connectDatabase } = await import('../db/connect.ts')
  const { migrate } = await import('../db/migrate.ts')
  const { freshMigratedDataDir } = await import('./helpers/data-dir.ts')
  const { runScheduled } = await import('../knowledge/ingest-on-start.ts')
  const { createEmbedder } = await import('../knowledge/embedders/index.ts')
  const { createLogger } = await import('../server/logger.ts')
  const db = await connectDatabase({ dataDir: await freshMigratedDataDir() })
  t.teardown(() => db.close())
  await migrate(db.sql)
  const lines: Record<string, any>[] = []
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) })
  const outcomes: string[] = []
  const schedule = {
    sql: db.sql,
    embedder: createEmbedder({ embeddingModel: 'local', openaiApiKey: undefined, openaiBaseUrl: undefined }),
    jobs: [{ source: `${DOCS}en`, reset: false, lang: undefined, baseUrl: undefined }],
    everyMs: 1000,
    log,
    signal: new AbortController().signal,
    onRun: (_trigger: string, outcome: string) => void outcomes.push(outcome),
  }
  // Two instances whose timers fire at the same moment.
  const runs = await Promise.all([runScheduled(schedule, 'instance-a'), runScheduled(schedule, 'instance-b')])
  t.same(runs.sort(), ['ok', 'skipped'], 'one runs, the other skips')
  t.same(outcomes.sort(), ['ok', 'skipped'], 'both counted')
  t.equal(lines.filter((line) => line.msg.startsWith('scheduled ingestion')).length, 2, 'one line per run')
  t.equal(await runScheduled(schedule, 'instance-b'), 'ok', 'the lease is released after the run')
})

t.test('INGEST_EVERY is validated', async (t) => {
  t.throws(() => loadConfig({ INGEST_EVERY: '24h' }), /INGEST_EVERY repeats the INGEST_ON_START jobs/)
  t.throws(() => loadConfig({ INGEST_ON_START: 'docs', INGEST_EVERY: 'daily' }), /INGEST_EVERY must be a duration like 24h/)
  t.equal(loadConfig({ INGEST_ON_START: 'docs', INGEST_EVERY: '24h' }).ingestEveryMs, 86_400_000)
  t.equal(loadConfig({ INGEST_ON_START: 'docs', INGEST_EVERY: '0' }).ingestEveryMs, undefined)
})

t.test('with an empty knowledge base, Jelly names a source everyone has: the public wiki sitemap', async (t) => {
  const http = injector((await buildTestApp(t)).app)
  const { response: answer } = (await http.post('/user_message', { user_token: 'newcomer', message: 'How do I run a masternode?' })).body as { response: string }
  t.match(answer, /npm run ingest -- https:\/\/www\.defichainwiki\.com\/sitemap\.xml/)
  t.notMatch(answer, /\.\.\/shared/, 'no path outside this repository')
})
