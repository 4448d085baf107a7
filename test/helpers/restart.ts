// Starts the app again on the address and database of one that was stopped,
// as a restart looks to clients that stay connected.
import type { Test } from 'tap'
import { listenTestApp } from './app.ts'
import type { TestServer } from './server.ts'

export async function restartServer(
  t: Test,
  stopped: Pick<TestServer, 'dataDir' | 'port'>,
  env: Record<string, string> = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = await listenTestApp(t, { LOG_LEVEL: 'silent', ...env, DATA_DIR: stopped.dataDir }, { port: stopped.port })
  return { url: server.url, stop: server.stop }
}
