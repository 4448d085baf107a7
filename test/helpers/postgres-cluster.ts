// A private PostgreSQL cluster for tests that stop or restart the server
// (test/postgres/up.sh and down.sh), so they never disturb the shared one.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Test } from 'tap'

const run = promisify(execFile)
const SCRIPTS = fileURLToPath(new URL('../postgres/', import.meta.url))
const PG_CTL = '/usr/lib/postgresql/15/bin/pg_ctl'

export interface Cluster {
  url: string
  /** pg_ctl as the postgres user on this cluster: restart -m fast, stop -m fast, start. */
  pgCtl(...args: string[]): Promise<void>
}

export async function startCluster(t: Test): Promise<Cluster> {
  const { stdout } = await run('bash', [`${SCRIPTS}up.sh`], { timeout: 120_000 })
  const url = stdout.trim().split('\n')[0]
  t.teardown(() => run('bash', [`${SCRIPTS}down.sh`, url]).then(() => undefined))
  const dataDir = `/tmp/jelly-pg-${new URL(url).port}/data`
  return {
    url,
    async pgCtl(...args) {
      const asPostgres = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', PG_CTL]] : [PG_CTL, []]
      const [command, prefix] = asPostgres as [string, string[]]
      await run(command, [...prefix, '-D', dataDir, '-w', '-l', `${dataDir}/../postgres.log`, ...args], { timeout: 60_000 })
    },
  }
}
