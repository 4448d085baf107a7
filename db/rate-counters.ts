// Fixed-window counters for rate limits. On Postgres they live in one table that
// every instance shares (one statement per check, whatever the number of keys);
// on the embedded database, which one process owns, in memory.
import type { Sql } from './connect.ts'

export interface CounterKey {
  key: string
  windowMs: number
}

export interface CounterHit {
  /** Hits in the current window, this one included. */
  count: number
  /** Until the window ends. */
  resetInMs: number
}

export interface RateCounters {
  /** Counts one hit on each key and returns each key's state, in order. */
  hit(keys: CounterKey[]): Promise<CounterHit[]>
}

// Old windows are swept once every this many checks, not on every one.
const SWEEP_EVERY = 1000
const LONGEST_WINDOW = '1 day'

export function postgresCounters(sql: Sql): RateCounters {
  let checks = 0
  return {
    async hit(keys) {
      if (keys.length === 0) return []
      if (++checks % SWEEP_EVERY === 0) {
        void sql`delete from rate_limit_counters where window_start < now() - ${LONGEST_WINDOW}::interval`.catch(() => undefined)
      }
      // The database's clock, so instances with drifting clocks share windows.
      const rows = await sql<{ key: string; hits: number; reset_in_ms: number }[]>`
        with wanted as (
          select key, window_ms, to_timestamp(floor(extract(epoch from now()) * 1000 / window_ms) * window_ms / 1000.0) as window_start
          from unnest(${keys.map((k) => k.key)}::text[], ${keys.map((k) => k.windowMs)}::bigint[]) as t(key, window_ms)
        )
        insert into rate_limit_counters as c (key, window_start, hits)
        select key, window_start, 1 from wanted
        on conflict (key, window_start) do update set hits = c.hits + 1
        returning key, hits,
          (select (extract(epoch from w.window_start) * 1000 + w.window_ms - extract(epoch from now()) * 1000)::float8
             from wanted w where w.key = c.key) as reset_in_ms`
      const byKey = new Map(rows.map((row) => [row.key, row]))
      return keys.map(({ key }) => {
        const row = byKey.get(key)!
        return { count: row.hits, resetInMs: Math.max(0, Math.ceil(row.reset_in_ms)) }
      })
    },
  }
}

// Expired windows are dropped when the map grows, so a flood of one-off keys stays bounded by one window's worth.
const MEMORY_SWEEP_SIZE = 10_000

export function memoryCounters(now: () => number = Date.now): RateCounters {
  const windows = new Map<string, { start: number; end: number; count: number }>()
  return {
    async hit(keys) {
      const time = now()
      if (windows.size > MEMORY_SWEEP_SIZE) {
        for (const [key, window] of windows) if (window.end <= time) windows.delete(key)
      }
      return keys.map(({ key, windowMs }) => {
        const start = Math.floor(time / windowMs) * windowMs
        const id = `${key}\u0000${windowMs}`
        let window = windows.get(id)
        if (!window || window.start !== start) windows.set(id, (window = { start, end: start + windowMs, count: 0 }))
        window.count++
        return { count: window.count, resetInMs: window.end - time }
      })
    },
  }
}
