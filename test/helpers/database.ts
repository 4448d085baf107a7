// Reads a stopped test server's database directly, for what the API cannot show
// (e.g. that a read created no rows).
import { connectDatabase } from '../../db/connect.ts'
import type { Sql } from '../../db/connect.ts'

/** The server's own database: its DATABASE_URL if it has one, else the embedded one in its DATA_DIR. */
export async function withDatabase<T>(server: { dataDir: string; databaseUrl?: string }, read: (sql: Sql) => Promise<T>): Promise<T> {
  const db = await connectDatabase({ dataDir: server.dataDir, databaseUrl: server.databaseUrl })
  try {
    return await read(db.sql)
  } finally {
    await db.close()
  }
}

export async function countRows(sql: Sql, table: 'users' | 'chat_messages' | 'qa' | 'feedback'): Promise<number> {
  const [row] = await sql<{ count: number }[]>`select count(*)::int as count from ${sql(table)}`
  return row.count
}
