// One SQL path: postgres.js, against DATABASE_URL or the embedded PGlite.
import postgres from 'postgres'
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts'

export type Sql = postgres.Sql

export interface Database {
  sql: Sql
  embedded: boolean
  /** Where the database is, for logs: host:port/name, never the password. */
  where: string
  /** Behind a transaction-mode pooler (prepared statements are off). */
  transactionPooler: boolean
  close(): Promise<void>
}

export interface DatabaseOptions {
  databaseUrl?: string
  dataDir: string
  databasePoolMax?: number
  databaseConnectTimeoutMs?: number
  /** Sent as a startup parameter; transaction poolers do not pass those on, so there it is the role's setting. */
  databaseStatementTimeoutMs?: number
  /** `transaction`, `direct`, or undefined to detect it from the URL. */
  databasePooler?: 'transaction' | 'direct'
  /** Called for every statement sent (for a query counter). */
  onQuery?: () => void
  /** Without databaseUrl: the embedded database on dataDir, if it is already starting. */
  embedded?: Promise<EmbeddedPostgres>
}

/** The database could not be reached at start: one line naming host and port. */
export class DatabaseUnreachableError extends Error {}

export async function connectDatabase(options: DatabaseOptions): Promise<Database> {
  const debug = options.onQuery ? () => options.onQuery!() : undefined
  if (options.databaseUrl) return connectUrl(options.databaseUrl, options, debug)
  const embedded = await (options.embedded ?? startEmbeddedPostgres(options.dataDir))
  // PGlite has one session: a single connection keeps transactions isolated
  // (postgres.js queues and pipelines everything else behind it).
  const sql = postgres({ path: embedded.socketPath, max: 1, debug, user: 'postgres', database: 'postgres', onnotice: () => undefined })
  try {
    await firstStatement(sql)
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => undefined)
    await embedded.stop()
    throw error
  }
  return {
    sql,
    embedded: true,
    where: 'embedded',
    transactionPooler: false,
    async close() {
      await sql.end({ timeout: 5 })
      await embedded.stop()
    },
  }
}

async function connectUrl(databaseUrl: string, options: DatabaseOptions, debug: (() => void) | undefined): Promise<Database> {
  const url = new URL(databaseUrl)
  const transactionPooler = options.databasePooler ? options.databasePooler === 'transaction' : isTransactionPoolerUrl(url)
  // Ours, not a server parameter: a pooler would refuse it as a startup parameter.
  url.searchParams.delete('pgbouncer')
  const where = describeDatabaseUrl(url)
  const connection: Record<string, string> = { application_name: 'jellychat' }
  if (options.databaseStatementTimeoutMs && !transactionPooler) connection.statement_timeout = String(options.databaseStatementTimeoutMs)
  const sql = postgres(url.toString(), {
    max: options.databasePoolMax ?? 10,
    connect_timeout: Math.ceil((options.databaseConnectTimeoutMs ?? 10_000) / 1000),
    // Idle connections go back to the server (or the pooler) after a while.
    idle_timeout: 60,
    // Seconds between reconnection attempts. postgres.js grows them to 20 s, so
    // a server back after a restart would wait that long; a second is enough.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 1),
    // A transaction pooler hands each transaction to any server connection: a
    // statement prepared on one is unknown on the next.
    prepare: !transactionPooler,
    onnotice: () => undefined,
    debug,
    connection,
  })
  try {
    await firstStatement(sql)
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => undefined)
    throw new DatabaseUnreachableError(`the database at ${where} cannot be reached: ${reason(error)}`)
  }
  return { sql, embedded: false, where, transactionPooler, close: () => sql.end({ timeout: 5 }) }
}

/**
 * The first statement, on the first connection. postgres.js fetches the array
 * types as each new connection's first statement and drops that promise: a
 * connection that fails during it (a database restarting) rejects it unhandled,
 * which ends the process (porsager/postgres#1192, open in 3.4.9). The types are
 * the same on every connection and the pool shares them once fetched, so only
 * this connection fetches them; later ones go straight to their statements.
 */
async function firstStatement(sql: Sql): Promise<void> {
  await sql`select 1`
  sql.options.fetch_types = false
}

/** Supabase's Supavisor serves transaction mode on port 6543; PgBouncer URLs say `pgbouncer=true`. */
export function isTransactionPoolerUrl(url: URL): boolean {
  return url.port === '6543' || url.searchParams.get('pgbouncer') === 'true'
}

/** host:port/database of a URL: what logs and errors may name. */
export function describeDatabaseUrl(url: URL): string {
  return `${url.hostname}:${url.port || 5432}/${decodeURIComponent(url.pathname.slice(1)) || 'postgres'}`
}

// The words of a connection error without anything the URL held.
function reason(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string }
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve'
  if (code === 'CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'the connection timed out'
  if (code === '28P01') return 'the password was not accepted'
  return message ?? String(error)
}
