// Starts the real server again on the address and database of one that was
// stopped, as a restart looks to clients that stay connected.
import type { Test } from 'tap'
import { createLogger } from '../../server/logger.ts'
import { startServer } from '../../server/start.ts'
import { testConfig, type TestServer } from './server.ts'

export async function restartServer(t: Test, stopped: TestServer, env: Record<string, string> = {}): Promise<{ url: string; stop(): Promise<void> }> {
  const config = { ...(await testConfig({ LOG_LEVEL: 'silent', ...env, DATA_DIR: stopped.dataDir })), port: stopped.port }
  const server = await startServer(config, createLogger(config.logLevel))
  t.teardown(() => server.stop())
  return { url: server.url, stop: () => server.stop() }
}
