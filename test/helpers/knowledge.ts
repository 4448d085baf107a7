// A knowledge base on its own database, loaded from fixture folders, for tests
// that need real wiki answers without starting a server.
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import pino from 'pino'
import { connectDatabase } from '../../db/connect.ts'
import { migrate } from '../../db/migrate.ts'
import { loadSource } from '../../knowledge/sources.ts'
import { ingestSource } from '../../knowledge/ingest.ts'
import { createLocalEmbedder } from '../../knowledge/embedders/local.ts'
import { createKnowledgeBaseWith, type KnowledgeBase } from '../../knowledge/index.ts'
import { freshMigratedDataDir } from './data-dir.ts'

/** Folder of test/fixtures/knowledge, e.g. 'docs/en' or 'chain/en'. */
export const fixtureDocs = (folder: string) => fileURLToPath(new URL(`../fixtures/knowledge/${folder}`, import.meta.url))

export async function fixtureKnowledgeBase(t: Test, folders: string[]): Promise<KnowledgeBase> {
  const db = await connectDatabase({ dataDir: await freshMigratedDataDir() })
  t.teardown(() => db.close())
  await migrate(db.sql)
  const embedder = createLocalEmbedder()
  for (const folder of folders) await ingestSource(db.sql, embedder, await loadSource(fixtureDocs(folder), { baseUrl: `https://wiki.example/${folder}` }))
  return createKnowledgeBaseWith({ sql: db.sql, embedder, log: pino({ level: 'silent' }) })
}
