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
  let closing: Promise<void> | undefined
  // Once, whether a test closes it early (to restart on the same DATA_DIR) or the teardown does.
  const close = () =>
    (closing ??= (async () => {
      await composed.app.close()
      composed.userTurns.close()
      await composed.db.close()
    })())
  t.teardown(close)
  return { ...composed, config, logs, close }
}

/** buildTestApp() listening on a loopback port, for the socket transports (Socket.IO, /ws). */
export async function listenTestApp(t: Test, env: Record<string, string> = {}) {
  const built = await buildTestApp(t, env)
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const address = built.app.server.address()
  if (!address || typeof address === 'string') throw new Error('the test app did not listen on a TCP port')
  return { ...built, url: `http://127.0.0.1:${address.port}`, port: address.port }
}
