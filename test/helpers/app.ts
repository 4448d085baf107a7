// The whole app as the server composes it (real database, tools, agents, chat
// service), without listening: for tests that talk to it with app.inject(),
// or listen on port 0 themselves for sockets. Closed when the test ends.
import type { Test } from 'tap'
import { loadConfig } from '../../server/config.ts'
import { createLogger } from '../../server/logger.ts'
import { composeApp } from '../../server/start.ts'
import { freshDataDir } from './data-dir.ts'

export async function buildTestApp(t: Test, env: Record<string, string> = {}) {
  const config = loadConfig({
    // Keep tests off the internet even where a variable is not set.
    OCEAN_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: env.DATA_DIR ?? (await freshDataDir()),
  })
  const logs: Record<string, any>[] = []
  const composed = await composeApp(config, createLogger(config.logLevel, { write: (line: string) => void logs.push(JSON.parse(line)) }))
  t.teardown(async () => {
    await composed.app.close()
    await composed.db.close()
  })
  return { ...composed, config, logs }
}
