// Starts the real server again on the address and DATA_DIR of one that was
// stopped, as a restart looks to clients that stay connected.
import type { Test } from 'tap'
import { loadConfig } from '../../server/config.ts'
import { createLogger } from '../../server/logger.ts'
import { startServer } from '../../server/start.ts'
import type { TestServer } from './server.ts'

export async function restartServer(t: Test, stopped: TestServer, env: Record<string, string> = {}): Promise<{ url: string; stop(): Promise<void> }> {
  const config = loadConfig({
    OCEAN_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
    HOST: '127.0.0.1',
    PORT: String(stopped.port),
    DATA_DIR: stopped.dataDir,
  })
  const server = await startServer(config, createLogger(config.logLevel))
  t.teardown(() => server.stop())
  return { url: server.url, stop: () => server.stop() }
}
