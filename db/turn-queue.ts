// SQL of the per-user turn queue shared by instances (migrations/008): tickets
// in arrival order, the lowest live one runs. Short statements only, no
// session state, so it works through a transaction pooler.
import type { Sql } from './connect.ts'

export interface TurnQueue {
  /** Takes a ticket behind every earlier ticket of this user. */
  enqueue(userKey: string): Promise<number>
  /** The user's lowest ticket whose holder is alive. */
  head(userKey: string): Promise<number | undefined>
  leave(ticket: number): Promise<void>
  /** Keeps `alive` tickets alive, removes `done` ones (whose leave failed) and long-dead ones. */
  heartbeat(alive: number[], done: number[]): Promise<void>
}

export function turnQueue(sql: Sql, staleAfterMs: number): TurnQueue {
  const staleSeconds = staleAfterMs / 1000
  return {
    async enqueue(userKey) {
      // The transaction-scoped lock orders one user's inserts, so their ids rise
      // in commit order and a head check never misses an earlier ticket.
      const [row] = await sql<{ id: string }[]>`
        with locked as materialized (select pg_advisory_xact_lock(hashtextextended(${userKey}, 8)))
        insert into turn_queue (user_key) select ${userKey} from locked returning id`
      return Number(row.id)
    },
    async head(userKey) {
      const [row] = await sql<{ id: string }[]>`
        select id from turn_queue
        where user_key = ${userKey} and heartbeat_at > now() - make_interval(secs => ${staleSeconds})
        order by id limit 1`
      return row ? Number(row.id) : undefined
    },
    async leave(ticket) {
      await sql`delete from turn_queue where id = ${ticket}`
    },
    async heartbeat(alive, done) {
      await sql`
        with gone as (
          delete from turn_queue
          where id = any(${done}::bigint[]) or heartbeat_at < now() - make_interval(secs => ${staleSeconds * 10})
        )
        update turn_queue set heartbeat_at = now() where id = any(${alive}::bigint[])`
    },
  }
}
