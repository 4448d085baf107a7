// The whole app as the server composes it (real database, tools, agents, chat
// service), without listening: for tests that talk to it with app.inject(),
// or listen on port 0 themselves for sockets. Closed when the test ends.
// What server/start.ts adds on top (ingestion on start, its start and stop
// log lines) is tested through startServer in server.ts.
import type { Test } from 'tap'
import type { AppOptions } from '../../server/app.ts'
import { createLogger } from '../../server/logger.ts'
import { closeConnections, composeApp } from '../../server/start.ts'
import { testConfig } from './server.ts'

export async function buildTestApp(t: Test, env: Record<string, string> = {}, appOptions: AppOptions = {}) {
  const config = await testConfig(env)
  const logs: Record<string, any>[] = []
  const composed = await composeApp(config, createLogger(config.logLevel, { write: (line: string) => void logs.push(JSON.parse(line)) }), appOptions)
  let closing: Promise<void> | undefined
  // Once, whether a test closes it early (to restart on the same DATA_DIR) or the teardown does.
  const close = () =>
    (closing ??= (async () => {
      // As the server closes: a connection still open (a response nobody read, keep-alive) is cut.
      await closeConnections(composed.app)
      composed.userTurns.close()
      await composed.db.close()
    })())
  t.teardown(close)
  /** As a server stops: new messages are refused (503) while the turns under way finish, then it closes. */
  const stop = async () => {
    await composed.chat.drain(config.shutdownGraceMs)
    await close()
  }
  // dataDir and databaseUrl as TestServer names them, for withDatabase() and restarts.
  return { ...composed, config, logs, close, stop, dataDir: config.dataDir, databaseUrl: config.databaseUrl }
}

/** buildTestApp() listening on a loopback port (port 0 unless given), for the socket transports (Socket.IO, /ws, streams, browsers). */
export async function listenTestApp(t: Test, env: Record<string, string> = {}, { port = 0, ...appOptions }: AppOptions & { port?: number } = {}) {
  const built = await buildTestApp(t, env, appOptions)
  await built.app.listen({ port, host: '127.0.0.1' })
  const address = built.app.server.address()
  if (!address || typeof address === 'string') throw new Error('the test app did not listen on a TCP port')
  return { ...built, url: `http://127.0.0.1:${address.port}`, port: address.port }
}
