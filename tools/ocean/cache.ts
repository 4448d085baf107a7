// A small time-to-live cache that also shares in-flight work: identical
// concurrent calls wait on one request, and only successes are remembered.

export interface TtlCache {
  /** The cached value for key, or the result of load() kept for ttlMs. */
  get<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T>
  clear(): void
  readonly size: number
}

export function createTtlCache(options: { maxEntries?: number; now?: () => number } = {}): TtlCache {
  const maxEntries = options.maxEntries ?? 1000
  const now = options.now ?? (() => Date.now())
  const entries = new Map<string, { value: unknown; expiresAt: number }>()
  const inFlight = new Map<string, Promise<unknown>>()

  function remember(key: string, value: unknown, ttlMs: number): void {
    if (ttlMs <= 0) return
    entries.delete(key)
    // Map keeps insertion order, so the first key is the least recently stored.
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string)
    entries.set(key, { value, expiresAt: now() + ttlMs })
  }

  return {
    get<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
      const cached = entries.get(key)
      if (cached && cached.expiresAt > now()) return Promise.resolve(cached.value as T)
      if (cached) entries.delete(key)
      const pending = inFlight.get(key)
      if (pending) return pending as Promise<T>
      const request = load().then(
        (value) => {
          inFlight.delete(key)
          remember(key, value, ttlMs)
          return value
        },
        (error: unknown) => {
          inFlight.delete(key)
          throw error
        },
      )
      inFlight.set(key, request)
      return request
    },
    clear() {
      entries.clear()
    },
    get size() {
      return entries.size
    },
  }
}
