// Leases: work that one instance at a time should do. A lease expires by itself
// when its holder dies, and is renewed while the work runs.
import type { Sql } from './connect.ts'

export interface Lease {
  release(): Promise<void>
}

/** Takes the lease `name` if it is free or expired; undefined when another holder has it. */
export async function tryLease(sql: Sql, name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
  const ttl = ttlMs / 1000
  const [taken] = await sql`
    insert into leases (name, holder, expires_at) values (${name}, ${holder}, now() + make_interval(secs => ${ttl}))
    on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
    where leases.expires_at < now() or leases.holder = excluded.holder
    returning holder`
  if (!taken) return undefined
  const renew = setInterval(() => {
    sql`update leases set expires_at = now() + make_interval(secs => ${ttl}) where name = ${name} and holder = ${holder}`.catch(() => undefined)
  }, ttlMs / 3)
  renew.unref()
  return {
    async release() {
      clearInterval(renew)
      await sql`delete from leases where name = ${name} and holder = ${holder}`
    },
  }
}
