// A fresh DATA_DIR is a copy of the initdb template (db/embedded-template.ts):
// it must end up as initdb + migrations would make it, and a crash while it is
// made must leave nothing a later start trips on. Embedded only: PostgreSQL has no template.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import postgres from 'postgres'
import { startEmbeddedPostgres } from '../db/embedded.ts'
import { TEMPLATES_DIR, prepareTemplate, templatePath } from '../db/embedded-template.ts'
import { migrate } from '../db/migrate.ts'
import type { Sql } from '../db/connect.ts'
import { TEST_DATABASE_URL } from './helpers/test-database.ts'

// The PGlite half of the suite covers it; the PostgreSQL half would only run it again.
const skip = TEST_DATABASE_URL ? "the initdb template is the embedded database's: run without TEST_DATABASE_URL" : false

async function emptyDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function withEmbedded<T>(dataDir: string, templatesDir: string, read: (sql: Sql, created: string | undefined) => Promise<T>): Promise<T> {
  const embedded = await startEmbeddedPostgres(dataDir, { templatesDir })
  const sql = postgres({ path: embedded.socketPath, max: 1, user: 'postgres', database: 'postgres', onnotice: () => undefined })
  try {
    return await read(sql, embedded.created)
  } finally {
    await sql.end({ timeout: 5 })
    await embedded.stop()
  }
}

// What a database is made of, beyond its data: tables, columns, indexes,
// functions, extensions, the ledger of migrations, and the server's settings.
async function describe(sql: Sql) {
  const columns =
    await sql`select table_name, column_name, data_type, column_default, is_nullable from information_schema.columns where table_schema = 'public' order by 1, 2`
  const indexes = await sql`select indexname, indexdef from pg_indexes where schemaname = 'public' order by 1`
  const routines =
    await sql`select p.proname, p.prokind, pg_get_function_identity_arguments(p.oid) as args from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' order by 1, 3`
  const functions =
    await sql`select p.proname, pg_get_functiondef(p.oid) as def from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.prokind = 'f' order by 1, 2`
  const extensions = await sql`select extname, extversion from pg_extension order by 1`
  const migrations = await sql`select name from schema_migrations order by 1`
  const settings = await sql`select name, setting from pg_settings where name not in ('data_directory', 'config_file', 'hba_file', 'ident_file') order by 1`
  const database = await sql`select datname, encoding, datcollate, datctype from pg_database order by 1`
  return { columns, indexes, routines, functions, extensions, migrations, settings, database }
}

const systemId = async (sql: Sql) => String((await sql`select system_identifier from pg_control_system()`)[0].system_identifier)

t.test('a fresh folder from the template is what initdb and the migrations make', { skip }, async (t) => {
  // Prepared by two at once, as test files and servers starting together do.
  const templates = await emptyDir('jelly-templates-')
  const [template, again] = await Promise.all([prepareTemplate(templates), prepareTemplate(templates)])
  t.equal(template, templatePath(templates))
  t.equal(again, template)
  t.same(await readdir(templates), [template.slice(templates.length + 1)], 'only the finished template is left, no building folder')

  const fromTemplate = await withEmbedded(await emptyDir('jelly-from-template-'), templates, async (sql, created) => {
    t.equal(created, 'template', 'the new folder was copied from the template')
    t.ok((await migrate(sql)).length > 0, 'the migrations ran on the copy')
    return { shape: await describe(sql), id: await systemId(sql) }
  })
  // Where no template can be written (a read-only install; a path under a file, which even root cannot write to).
  const file = join(await emptyDir('jelly-no-templates-'), 'a-file')
  await writeFile(file, '')
  const noTemplates = join(file, 'templates')
  const fromInitdb = await withEmbedded(await emptyDir('jelly-from-initdb-'), noTemplates, async (sql, created) => {
    t.equal(created, 'initdb', 'where no template can be made, initdb made it')
    await migrate(sql)
    return { shape: await describe(sql), id: await systemId(sql) }
  })
  const templateId = await withEmbedded(await emptyDir('jelly-template-copy-'), templates, (sql) => systemId(sql))

  t.ok(fromTemplate.shape.migrations.length >= 8, 'every migration is in the ledger')
  t.ok(fromTemplate.shape.columns.length > 0 && fromTemplate.shape.indexes.length > 0)
  t.same(fromTemplate.shape, fromInitdb.shape, 'the same schema, extensions, ledger, settings and database as initdb + migrations')
  t.equal(fromTemplate.id, templateId, 'copies of the template share its pg_control (so it really was a copy)')
  t.not(fromTemplate.id, fromInitdb.id, 'while initdb makes a new cluster')
})

// The rest use the template the server and the test helpers share.
const shared = () => prepareTemplate().then(() => TEMPLATES_DIR)

t.test('an existing folder is opened as it is, not replaced', { skip }, async (t) => {
  const templates = await shared()
  const dataDir = await emptyDir('jelly-existing-')
  await withEmbedded(dataDir, templates, async (sql) => {
    await migrate(sql)
    await sql`create table kept (note text)`
    await sql`insert into kept values ('still here')`
  })
  await withEmbedded(dataDir, templates, async (sql, created) => {
    t.equal(created, undefined, 'nothing was created on the second start')
    t.same(await sql`select note from kept`, [{ note: 'still here' }])
  })
})

t.test('a folder left half-made by a crash is made again; a locked one is refused', { skip }, async (t) => {
  const templates = await shared()
  const dataDir = await emptyDir('jelly-crashed-')
  // What a crash part-way through the copy leaves: the temporary folder, no pgdata.
  await mkdir(join(dataDir, 'pgdata.partial', 'base'), { recursive: true })
  await writeFile(join(dataDir, 'pgdata.partial', 'PG_VERSION'), 'garbage')

  const embedded = await startEmbeddedPostgres(dataDir, { templatesDir: templates })
  t.equal(embedded.created, 'template')
  t.notOk(existsSync(join(dataDir, 'pgdata.partial')), 'the temporary folder is gone')
  await t.rejects(startEmbeddedPostgres(dataDir, { templatesDir: templates }), /DATA_DIR .* is in use by process \d+/, 'the lock holds before anything is made')
  const sql = postgres({ path: embedded.socketPath, max: 1, user: 'postgres', database: 'postgres', onnotice: () => undefined })
  t.same(await sql`select 1 as one`, [{ one: 1 }], 'the copy opens as a database')
  await sql.end({ timeout: 5 })
  await embedded.stop()
})
