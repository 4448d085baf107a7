// A lease: work that one instance at a time should do. Taken and released by
// single statements (no session state, so it works through a transaction
// pooler); it expires on its own if the holder dies.
import type { Sql } from './connect.ts'

/** Takes the lease `name` for `ttlMs` unless another holder has it; true when this holder has it now. */
export async function tryLease(sql: Sql, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const rows = await sql`
    insert into leases as l (name, holder, expires_at) values (${name}, ${holder}, now() + ${ttlMs} * interval '1 millisecond')
    on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
    where l.expires_at < now() or l.holder = excluded.holder
    returning holder`
  return rows.length === 1
}

/** Ends this holder's lease after `keepMs` more (0: at once), so others do not redo the work too soon. */
export async function releaseLease(sql: Sql, name: string, holder: string, keepMs = 0): Promise<void> {
  await sql`update leases set expires_at = now() + ${keepMs} * interval '1 millisecond' where name = ${name} and holder = ${holder}`
}
