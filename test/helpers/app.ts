// The whole app as the server composes it (real database, tools, agents, chat
// service), without listening: for tests that talk to it with app.inject(),
// or listen on port 0 themselves for sockets. Closed when the test ends.
import type { Test } from 'tap'
import { createLogger } from '../../server/logger.ts'
import { composeApp } from '../../server/start.ts'
import { testConfig } from './server.ts'

export async function buildTestApp(t: Test, env: Record<string, string> = {}) {
  const config = await testConfig(env)
  const logs: Record<string, any>[] = []
  const composed = await composeApp(config, createLogger(config.logLevel, { write: (line: string) => void logs.push(JSON.parse(line)) }))
  t.teardown(async () => {
    await composed.app.close()
    composed.userTurns.close()
    await composed.db.close()
  })
  return { ...composed, config, logs }
}
