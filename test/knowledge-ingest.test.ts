import t, { type Test } from 'tap'
import { cp, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { freshDatabase } from './helpers/data-dir.ts'
import { loadSource } from '../knowledge/sources.ts'
import { ingestSource } from '../knowledge/ingest.ts'
import { createLocalEmbedder } from '../knowledge/embedders/local.ts'
import { createOpenAIEmbedder } from '../knowledge/embedders/openai.ts'
import { createKnowledgeBaseWith } from '../knowledge/index.ts'
import { KnowledgeError } from '../knowledge/types.ts'
import { startFakeEmbeddings } from './fakes/openai-embeddings.ts'

const log = pino({ level: 'silent' })
const fixtures = fileURLToPath(new URL('./fixtures/knowledge/docs/en', import.meta.url))

async function openBase(t: Test) {
  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  await migrate(db.sql)
  return db.sql
}

async function copyOfFixtures(t: Test): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'kb-docs-')), 'en')
  await cp(fixtures, dir, { recursive: true })
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('incremental: unchanged skipped, changed replaced, added and removed', async (t) => {
  const sql = await openBase(t)
  const folder = await copyOfFixtures(t)
  const embedder = createLocalEmbedder()
  const kb = createKnowledgeBaseWith({ sql, embedder, log })
  t.same(await kb.search('lighthouse lamp'), [], 'an empty base returns no hits')

  const first = await ingestSource(sql, embedder, await loadSource(folder, { baseUrl: 'https://wiki.example/docs' }))
  t.match(first, { added: 3, changed: 0, removed: 0, unchanged: 0 })
  t.ok(first.chunks >= 4)
  const [hit] = await kb.search('how long does the lamp burn in winter?')
  t.match(hit, { source: 'en/Lighthouse.md', title: 'Lighthouse keeping', lang: 'en', url: 'https://wiki.example/docs/Lighthouse#lamp-schedule' })
  t.match(hit.heading, /Lamp schedule/)

  const again = await ingestSource(sql, embedder, await loadSource(folder, { baseUrl: 'https://wiki.example/docs' }))
  t.match(again, { added: 0, changed: 0, removed: 0, unchanged: 3, chunks: 0 }, 'nothing re-embedded when nothing changed')

  const tides = join(folder, 'Tides.md')
  await writeFile(tides, (await readFile(tides, 'utf8')).replace('4.2 metres', '5.7 metres'))
  await rm(join(folder, 'Seals.md'))
  await writeFile(join(folder, 'Ferry.md'), '---\ntitle: Ferry\n---\n\nThe ferry to the island leaves at 9 every morning.\n')
  const third = await ingestSource(sql, embedder, await loadSource(folder, { baseUrl: 'https://wiki.example/docs' }))
  t.match(third, { added: 1, changed: 1, removed: 1, unchanged: 1 })

  const tide = await kb.search('high tide metres', { perPage: 3 })
  t.ok(
    tide.some((found) => found.content.includes('5.7 metres')),
    'changed page replaced',
  )
  t.notOk(JSON.stringify(tide).includes('4.2 metres'), 'old version gone')
  t.notOk(
    (await kb.search('grey seals pups sandbank', { k: 10 })).some((found) => found.source === 'en/Seals.md'),
    'removed page gone',
  )
  t.equal((await kb.search('ferry island morning'))[0].source, 'en/Ferry.md', 'added page found')
  const [{ count }] = await sql`select count(*)::int as count from kb_documents`
  t.equal(count, 3)

  const reset = await ingestSource(sql, embedder, await loadSource(folder), { reset: true })
  t.match(reset, { added: 3, changed: 0, removed: 0, unchanged: 0 }, '--reset rebuilds everything')
  const [stats] = await sql`select term_chunks from kb_meta`
  const [{ chunks }] = await sql`select count(*)::int as chunks from kb_chunks`
  t.equal(stats.term_chunks, chunks, 'term statistics follow the chunks')
})

t.test('a base built with one embedder refuses another until --reset', async (t) => {
  const sql = await openBase(t)
  const fake = await startFakeEmbeddings({ dimension: 32 })
  t.teardown(() => fake.close())
  const local = createLocalEmbedder()
  const remote = createOpenAIEmbedder({ model: 'text-embedding-3-small', apiKey: 'test-key', baseURL: fake.url })
  const source = await loadSource(fixtures)
  await ingestSource(sql, local, source)

  const kb = createKnowledgeBaseWith({ sql, embedder: remote, log })
  const error = await kb.search('lighthouse').catch((caught: unknown) => caught)
  t.type(error, KnowledgeError)
  t.match((error as Error).message, /built with the embedder "local-hash-v2" \(1024 dimensions\).*openai:text-embedding-3-small.*--reset/)
  await t.rejects(ingestSource(sql, remote, source), /--reset/, 'ingesting with another embedder is refused too')

  const rebuilt = await ingestSource(sql, remote, source, { reset: true })
  t.equal(rebuilt.added, 3)
  const [meta] = await sql`select embedder, dimension from kb_meta`
  t.same({ ...meta }, { embedder: 'openai:text-embedding-3-small', dimension: 32 })
  t.equal((await kb.search('how long does the lamp burn in winter'))[0].source, 'en/Lighthouse.md')
  await t.rejects(createKnowledgeBaseWith({ sql, embedder: local, log }).search('lamp'), /local-hash-v2.*--reset/s)
})

t.test('OpenAI-compatible embeddings are batched and retried on 429 and 5xx', async (t) => {
  const fake = await startFakeEmbeddings({ dimension: 16, failFirst: [429, 503] })
  t.teardown(() => fake.close())
  const embedder = createOpenAIEmbedder({ model: 'm', apiKey: 'k', baseURL: fake.url })
  const texts = Array.from({ length: 200 }, (_, index) => `text ${index}`)
  const vectors = await embedder.embedDocuments(texts)
  t.equal(vectors.length, 200)
  t.equal(vectors[0].length, 16)
  t.equal(embedder.dimension, 16)
  t.same(fake.failures, [429, 503])
  t.same(fake.batches, [96, 96, 8])
})

t.test('a failing embeddings service gives a clear error', async (t) => {
  const fake = await startFakeEmbeddings({ failFirst: [400] })
  t.teardown(() => fake.close())
  const embedder = createOpenAIEmbedder({ model: 'm', apiKey: 'k', baseURL: fake.url })
  await t.rejects(embedder.embedDocuments(['x']), /embeddings service failed with status 400 for model m/)
})
