// The backend's own time per turn through the LLM loop: the real server in a
// child process, a fake provider that answers at once, Socket.IO clients.
// Own time = turn latency seen by the client minus the time the fake spent.
// `--backend=postgres` runs the server on a throwaway PostgreSQL 15 cluster
// (test/postgres/up.sh) instead of the embedded PGlite; its CPU is counted too.
// The server runs as in production (compiled, plain node); its memory is
// printed idle after start and after each scenario (RSS now and at its peak).
// BENCH_TURNS=100 makes a quick run; BENCH_DATA_DIR runs on an existing data
// folder (e.g. one with the wiki ingested; used in place) instead of an empty one.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { io, type Socket } from 'socket.io-client'
import { startFakeOpenAI } from '../test/fakes/openai.ts'

// Every scenario measures about 1,000 turns, so its p99 is not just its slowest turn.
const TOTAL_TURNS = Number(process.env.BENCH_TURNS ?? 1000)
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 500)
const ANSWER = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ') + ' 🌊'

const fake = await startFakeOpenAI((request) =>
  request.messages.at(-1)?.role === 'tool' ? { content: ANSWER } : { toolCalls: [{ name: 'calculator', arguments: '{"expression":"20000 / 33.3"}' }] },
)
const backend = process.argv.find((arg) => arg.startsWith('--backend='))?.slice('--backend='.length) ?? 'embedded'
if (backend !== 'embedded' && backend !== 'postgres') throw new Error(`--backend must be embedded or postgres, got ${backend}`)
const databaseUrl = backend === 'postgres' ? execFileSync('bash', ['test/postgres/up.sh'], { encoding: 'utf8' }).trim() : undefined
const postmasterPid = databaseUrl ? Number(readFileSync(`/tmp/jelly-pg-${new URL(databaseUrl).port}/data/postmaster.pid`, 'utf8').split('\n')[0]) : undefined
const port = await freePort()
const dataDir = process.env.BENCH_DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'jelly-bench-')))
console.log(`backend: ${backend === 'postgres' ? 'PostgreSQL 15 (server CPU includes the database processes)' : 'embedded PGlite (in the server process)'}`)
if (spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' }).status !== 0) throw new Error('npm run build failed')
const server = spawn(process.execPath, [...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), 'dist/server/main.js'], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'bench',
    LOG_LEVEL: 'warn',
    // One address runs 50 conversations flat out: per-IP and per-user limits would refuse most of it.
    RATE_LIMIT_USER: '0',
    RATE_LIMIT_IP: '0',
    RATE_LIMIT_HTTP: '0',
    MAX_SOCKETS_PER_IP: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
})
const url = `http://127.0.0.1:${port}`
try {
  await waitForHealth(url)
  await sleep(3000)
  console.log(`server memory idle after start: ${serverMemory()}`)
  await run(1, 0)
  await run(50, 0)
  // Users read before they answer: the same 50 conversations at a human-like pace.
  await run(50, THINK_MS)
} finally {
  server.kill('SIGTERM')
  await new Promise((resolve) => server.once('exit', resolve))
  await fake.close()
  if (!process.env.BENCH_DATA_DIR) await rm(dataDir, { recursive: true, force: true })
  if (databaseUrl) execFileSync('bash', ['test/postgres/down.sh', databaseUrl], { stdio: 'ignore' })
}

async function run(conversations: number, thinkMs: number) {
  const sockets = await Promise.all(Array.from({ length: conversations }, () => connect(url)))
  await Promise.all(sockets.map((socket, i) => turn(socket, `warmup-${conversations}-${i}`, 'warm up')))
  fake.timings.length = 0
  const latencies: { message: string; ms: number }[] = []
  let broken = 0
  const cpuBefore = serverCpuMs()
  const started = performance.now()
  await Promise.all(
    sockets.map(async (socket, i) => {
      // Staggered starts, so paced conversations do not all fire in the same millisecond.
      if (thinkMs) await sleep(Math.random() * thinkMs)
      for (let n = 0; n < Math.ceil(TOTAL_TURNS / conversations); n++) {
        if (thinkMs && n > 0) await sleep(thinkMs)
        const message = `c${conversations}-u${i}-t${n}: what is 20000 / 33.3?`
        const result = await turn(socket, `bench-${conversations}-${i}`, message)
        if (result.tokens !== ANSWER || result.final !== ANSWER) broken++
        latencies.push({ message, ms: result.ms })
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  const cpuPerTurn = (serverCpuMs() - cpuBefore) / latencies.length
  sockets.forEach((socket) => socket.close())
  // The fake's time per turn, summed after the run so the clients do no bookkeeping while measuring.
  const fakeMs = new Map<string, number>()
  for (const timing of fake.timings) fakeMs.set(timing.lastUser, (fakeMs.get(timing.lastUser) ?? 0) + timing.ms)
  const ownTimes = latencies.map(({ message, ms }) => ms - (fakeMs.get(message) ?? 0)).sort((a, b) => a - b)
  const at = (q: number) => ownTimes[Math.min(ownTimes.length - 1, Math.floor(q * ownTimes.length))].toFixed(1)
  console.log(
    `agent loop, ${String(conversations).padStart(2)} concurrent Socket.IO conversation(s), ${thinkMs ? `${thinkMs} ms between turns` : 'back to back'}: ${ownTimes.length} turns, own time p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, ${(ownTimes.length / seconds).toFixed(0)} turns/s, server CPU ${cpuPerTurn.toFixed(2)} ms/turn, server memory ${serverMemory()}, turns with tokens lost or out of order: ${broken}`,
  )
}

function turn(socket: Socket, userToken: string, message: string): Promise<{ ms: number; tokens: string; final: string }> {
  return new Promise((resolve, reject) => {
    let tokens = ''
    const started = performance.now()
    const onToken = ({ token }: { token: string }) => (tokens += token)
    const onFinal = ({ message: final }: { message: string }) => {
      socket.off('final_answer_token', onToken).off('error', onError)
      resolve({ ms: performance.now() - started, tokens, final })
    }
    const onError = ({ error }: { error: string }) => reject(new Error(error))
    socket.on('final_answer_token', onToken).once('final_message', onFinal).once('error', onError)
    socket.emit('user_message', { user_token: userToken, message, application: 'bench' })
  })
}

async function connect(base: string): Promise<Socket> {
  const socket = io(base, { transports: ['websocket'], forceNew: true, reconnection: false })
  await new Promise((resolve, reject) => socket.once('connect', () => resolve(undefined)).once('connect_error', reject))
  return socket
}

async function waitForHealth(base: string) {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the server did not start')
}

/** CPU time the server process (all its threads) and, on PostgreSQL, the database's processes have used so far (Linux). */
function serverCpuMs(): number {
  if (!postmasterPid) return processCpuMs(server.pid!)
  // The postmaster and its children (one backend per connection); the children of exited ones are not counted.
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => statFields(Number(pid))?.[1] === String(postmasterPid))
  return processCpuMs(server.pid!) + processCpuMs(postmasterPid) + children.reduce((sum, pid) => sum + processCpuMs(Number(pid)), 0)
}

function processCpuMs(pid: number): number {
  const fields = statFields(pid)
  // utime and stime, fields 14 and 15 of the whole line, in clock ticks of 10 ms.
  return fields ? (Number(fields[11]) + Number(fields[12])) * 10 : 0
}

/** Fields after the command name of /proc/<pid>/stat: [0] state, [1] parent pid, … */
function statFields(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  } catch {
    return undefined
  }
}

/** Resident memory of the server process now and at its peak so far (Linux). */
function serverMemory(): string {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8')
  const mb = (field: string) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024)
  return `RSS ${mb('VmRSS')} MB (peak ${mb('VmHWM')} MB)`
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}
