// One SQL path: postgres.js, against DATABASE_URL or the embedded PGlite.
import postgres from 'postgres'
import { startEmbeddedPostgres } from './embedded.ts'

export type Sql = postgres.Sql

export interface Database {
  sql: Sql
  embedded: boolean
  close(): Promise<void>
}

export async function connectDatabase(options: { databaseUrl?: string; dataDir: string }): Promise<Database> {
  if (options.databaseUrl) {
    const sql = postgres(options.databaseUrl, { max: 10, onnotice: () => undefined, connection: { application_name: 'jellychat' } })
    return { sql, embedded: false, close: () => sql.end({ timeout: 5 }) }
  }
  const embedded = await startEmbeddedPostgres(options.dataDir)
  // PGlite has one session: a single connection keeps transactions isolated
  // (postgres.js queues and pipelines everything else behind it).
  const sql = postgres({ path: embedded.socketPath, max: 1, user: 'postgres', database: 'postgres', onnotice: () => undefined })
  return {
    sql,
    embedded: true,
    async close() {
      await sql.end({ timeout: 5 })
      await embedded.stop()
    },
  }
}
