// Starts the real server in-process on a loopback port with its own embedded
// database in a temp folder, and stops it when the test ends.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { loadConfig } from '../../server/config.ts'
import { createLogger } from '../../server/logger.ts'
import { startServer as start } from '../../server/start.ts'

export interface TestServer {
  url: string
  port: number
  dataDir: string
  stop(): Promise<void>
}

export async function startServer(t: Test, env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = env.DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'jelly-test-')))
  const config = loadConfig({
    // Keep tests off the internet even where a variable is not set.
    OCEAN_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
  })
  const server = await start(config, createLogger(config.logLevel))
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await server.stop()
  }
  t.teardown(stop)
  return { url: server.url, port: server.port, dataDir, stop }
}
