// One SQL path: postgres.js, against DATABASE_URL or the embedded PGlite.
import postgres from 'postgres'
import { startEmbeddedPostgres } from './embedded.ts'

export type Sql = postgres.Sql

export interface Database {
  sql: Sql
  embedded: boolean
  close(): Promise<void>
}

export interface DatabaseOptions {
  databaseUrl?: string
  dataDir: string
  /** Called for every statement sent (for a query counter). */
  onQuery?: () => void
}

export async function connectDatabase(options: DatabaseOptions): Promise<Database> {
  const debug = options.onQuery ? () => options.onQuery!() : undefined
  if (options.databaseUrl) {
    const sql = postgres(options.databaseUrl, { max: 10, debug, onnotice: () => undefined, connection: { application_name: 'jellychat' } })
    return { sql, embedded: false, close: () => sql.end({ timeout: 5 }) }
  }
  const embedded = await startEmbeddedPostgres(options.dataDir)
  // PGlite has one session: a single connection keeps transactions isolated
  // (postgres.js queues and pipelines everything else behind it).
  const sql = postgres({ path: embedded.socketPath, max: 1, debug, user: 'postgres', database: 'postgres', onnotice: () => undefined })
  return {
    sql,
    embedded: true,
    async close() {
      await sql.end({ timeout: 5 })
      await embedded.stop()
    },
  }
}
