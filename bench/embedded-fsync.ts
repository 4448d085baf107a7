// What fsync costs for the embedded database, and what it would buy.
// `npx tsx bench/embedded-fsync.ts [commits]` (not part of `npm run bench`: it
// measures the disk, not our code). It times single-row insert transactions on
// PGlite as we run it (fsync off), on PGlite started with fsync on, and, for
// the price of real durability on this disk, an 8 KB append plus fsync().
// Run it under `strace -f -c -e trace=fsync,fdatasync` to count the syncs.
import { mkdtemp, rm } from 'node:fs/promises'
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'

const COMMITS = Number(process.argv[2] ?? 300)

async function pgliteCommits(label: string, startParams: string[] | undefined): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'jelly-fsync-bench-'))
  try {
    const db = await PGlite.create(join(dir, 'pgdata'), startParams ? { startParams } : {})
    await db.exec('create table turns (id bigserial primary key, body text not null)')
    const body = 'x'.repeat(400)
    const started = performance.now()
    for (let i = 0; i < COMMITS; i++) await db.query('insert into turns (body) values ($1)', [body])
    const ms = performance.now() - started
    const { rows } = await db.query<{ fsync: string }>('show fsync')
    console.log(`${label.padEnd(34)} fsync=${rows[0].fsync.padEnd(3)} ${(ms / COMMITS).toFixed(3)} ms/commit, ${Math.round((COMMITS * 1000) / ms)} commits/s`)
    await db.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function rawFsync(): void {
  const file = join(tmpdir(), `jelly-fsync-bench-${process.pid}`)
  const fd = openSync(file, 'w')
  const page = Buffer.alloc(8192, 1)
  const started = performance.now()
  for (let i = 0; i < COMMITS; i++) {
    writeSync(fd, page)
    fsyncSync(fd)
  }
  const ms = performance.now() - started
  closeSync(fd)
  void rm(file, { force: true })
  console.log(`${'8 KB append + fsync() on this disk'.padEnd(34)}           ${(ms / COMMITS).toFixed(3)} ms/commit, ${Math.round((COMMITS * 1000) / ms)} commits/s`)
}

const defaults = (PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams
await pgliteCommits('PGlite as the server runs it', undefined)
// PGlite passes -F (fsync off) on its command line; without it Postgres's default, fsync on, applies.
await pgliteCommits(
  'PGlite with fsync on',
  defaults.filter((param) => param !== '-F'),
)
rawFsync()
