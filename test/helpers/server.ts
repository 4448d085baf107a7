// Starts the real server in-process on a loopback port with its own embedded
// database in a temp folder, and stops it when the test ends.
import type { Test } from 'tap'
import { loadConfig, type Config } from '../../server/config.ts'
import { createLogger } from '../../server/logger.ts'
import { startServer as start } from '../../server/start.ts'
import { databaseUrlFor, freshMigratedDataDir } from './data-dir.ts'

/** Rate limits, queue bound, socket cap and overload checks, all off. */
export const LIMITS_OFF: Record<string, string> = {
  RATE_LIMIT_USER: '0',
  RATE_LIMIT_IP: '0',
  RATE_LIMIT_HTTP: '0',
  MAX_PENDING_PER_USER: '0',
  MAX_SOCKETS_PER_IP: '0',
  OVERLOAD_MAX_TURNS: '0',
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
}

export interface TestServer {
  url: string
  /** Every log line the server wrote, parsed (TEST_LOG_LEVEL, default info). */
  logs: Record<string, any>[]
  port: number
  dataDir: string
  /** The server's DATABASE_URL (under TEST_DATABASE_URL, the test's own database); undefined: embedded in dataDir. */
  databaseUrl?: string
  stop(): Promise<void>
}

/** The configuration a test server runs with: loopback, port 0, its own database, no internet. */
export async function testConfig(env: Record<string, string> = {}): Promise<Config> {
  const dataDir = env.DATA_DIR ?? (await freshMigratedDataDir())
  return loadConfig({
    // Keep tests off the internet even where a variable is not set.
    OCEAN_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    // Most tests read what was stored through the admin endpoints; tests of the
    // admin guard pass ADMIN_TOKEN, or ADMIN_OPEN: '' for the closed default.
    ...(env.ADMIN_TOKEN === undefined ? { ADMIN_OPEN: 'true' } : {}),
    // Tests send many messages from one address and token; the limits' own tests turn them on.
    ...LIMITS_OFF,
    ...withTestDatabase(dataDir, env),
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
  })
}

export async function startServer(t: Test, env: Record<string, string> = {}): Promise<TestServer> {
  const config = await testConfig(env)
  const dataDir = config.dataDir
  const logs: Record<string, any>[] = []
  const collect = { write: (line: string) => void logs.push(JSON.parse(line)) }
  const server = await start(config, createLogger(config.logLevel, collect))
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await server.stop()
  }
  t.teardown(stop)
  return { url: server.url, logs, port: server.port, dataDir, databaseUrl: config.databaseUrl, stop }
}

/** env with the DATABASE_URL that stands for its DATA_DIR under TEST_DATABASE_URL (unless it names one). */
export function withTestDatabase(dataDir: string | undefined, env: Record<string, string>): Record<string, string> {
  const databaseUrl = dataDir && !env.DATABASE_URL ? databaseUrlFor(dataDir) : undefined
  return databaseUrl ? { ...env, DATABASE_URL: databaseUrl } : env
}
