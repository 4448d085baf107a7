// The project against its yardstick (bench/relay.ts, a bare Fastify +
// Socket.IO + openai relay) in one run: the same fake provider in its own
// process (bench/fake-provider.ts), each target warmed up with about 1,000
// turns, then measured rounds alternating baseline, project, baseline, ...
// Loads: "instant" — 50 Socket.IO conversations × 20 turns back to back against
// a provider that answers at once; "paced" — 1,000 conversations connected
// first, all in flight at once, 2 turns each, against a provider streaming
// 4 characters every 20 ms. Every turn is checked: a tool_start before the first
// token, the tokens joining exactly to final_message, nothing lost.
// The project runs with its rate limits and overload limits turned off.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { io, type Socket } from 'socket.io-client'
import { build } from 'esbuild'
import { BENCH_ANSWER, BENCH_QUESTION } from './turn-script.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const WARMUP_TURNS = Number(process.env.BENCH_WARMUP_TURNS ?? 1000)
const LOADS = {
  instant: { conversations: 50, turns: 20 },
  paced: { conversations: Number(process.env.BENCH_PACED_CONVERSATIONS ?? 1000), turns: 2 },
} as const
type Load = keyof typeof LOADS
// BENCH_LOADS=instant measures one load only (and skips the start-up figure); BENCH_PROF=DIR writes
// each target's CPU profiles (every thread, the embedded database's worker too) into DIR/project and DIR/baseline.
const MEASURED = (process.env.BENCH_LOADS?.split(',') ?? Object.keys(LOADS)) as Load[]
const PROFILE_DIR = process.env.BENCH_PROF
// BENCH_AGAINST=DIR puts a built checkout of the project in DIR in the baseline's place, with
// the project's settings: an A/B of a change on a machine too busy for absolute figures.
const AGAINST = process.env.BENCH_AGAINST

// Turned off for the project so the benchmark measures turns, not refusals.
const NO_LIMITS = {
  RATE_LIMIT_USER: '0',
  RATE_LIMIT_IP: '0',
  MAX_PENDING_PER_USER: '0',
  MAX_SOCKETS_PER_IP: '0',
  OVERLOAD_MAX_TURNS: '0',
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
}

interface Target {
  name: 'baseline' | 'project'
  process: ChildProcess
  url: string
}

interface Measured {
  turns: number
  failed: number
  seconds: number
  latencies: number[]
  firstTokens: number[]
  cpuMs: number
  peakRssMb: number
  promptTokens: number
  /** Socket.IO events the server sent, all turns together: tool_start, answer tokens, final_message. */
  events: number
}

const cleanUp: (() => Promise<unknown>)[] = []
try {
  const provider = await startProvider()
  const startup = process.env.BENCH_LOADS ? { existingMs: NaN, freshMs: NaN } : await measureStartup()
  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-versus-'))
  cleanUp.push(() => rm(dataDir, { recursive: true, force: true }))
  const env = { OPENAI_BASE_URL: provider.url, OPENAI_API_KEY: 'bench', HOST: '127.0.0.1' }
  const command = await projectCommand()
  const profiled = (command: string[], name: Target['name']) =>
    PROFILE_DIR ? [command[0], '--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, name)}`, ...command.slice(1)] : command
  const project = profiled(command, 'project')
  const targets = [
    AGAINST
      ? await startTarget(
          'baseline',
          [process.execPath, join(AGAINST, 'dist/server/main.js')],
          { ...env, ...NO_LIMITS, DATA_DIR: await mkdtemp(join(tmpdir(), 'jelly-against-')), LOG_LEVEL: 'info' },
          AGAINST,
        )
      : await startTarget('baseline', profiled(await baselineCommand(command), 'baseline'), env),
    await startTarget('project', project, { ...env, ...NO_LIMITS, DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
  ]
  const oneToolTurn = new Map<string, number>()
  for (const target of targets) {
    await provider.setMode('instant')
    await runLoad(target, 'instant', { conversations: 50, turns: Math.ceil(WARMUP_TURNS / 50) }, 'warmup')
    await provider.setMode('instant')
    await runLoad(target, 'instant', { conversations: 1, turns: 1 }, 'fresh')
    oneToolTurn.set(target.name, (await provider.stats()).promptTokens)
  }
  const results = new Map<string, Measured[]>()
  for (const load of MEASURED) {
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of targets) {
        await provider.setMode(load)
        const measured = await runLoad(target, load, LOADS[load], `r${round}`)
        measured.promptTokens = (await provider.stats()).promptTokens
        const key = `${load}/${target.name}`
        results.set(key, [...(results.get(key) ?? []), measured])
      }
    }
  }
  printTable(results, oneToolTurn, startup)
} finally {
  for (const step of cleanUp.reverse()) await step().catch(() => undefined)
}

async function runLoad(target: Target, load: Load, shape: { conversations: number; turns: number }, tag: string): Promise<Measured> {
  const sockets: Socket[] = []
  for (let i = 0; i < shape.conversations; i += 100) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, shape.conversations - i) }, () => connect(target.url)))))
  }
  const pid = target.process.pid!
  const cpuBefore = treeCpuMs(pid)
  let peakRssMb = treeRssMb(pid)
  const sampler = setInterval(() => (peakRssMb = Math.max(peakRssMb, treeRssMb(pid))), 100)
  const latencies: number[] = []
  const firstTokens: number[] = []
  let failed = 0
  let events = 0
  const started = performance.now()
  await Promise.all(
    sockets.map(async (socket, i) => {
      for (let n = 0; n < shape.turns; n++) {
        const result = await turn(socket, `${target.name}-${load}-${tag}-${i}`)
        if (!result.ok) failed++
        latencies.push(result.ms)
        firstTokens.push(result.firstTokenMs)
        events += result.events
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  const cpuMs = treeCpuMs(pid) - cpuBefore
  sockets.forEach((socket) => socket.close())
  return { turns: latencies.length, failed, seconds, latencies, firstTokens, cpuMs, peakRssMb, promptTokens: 0, events }
}

function turn(socket: Socket, userToken: string): Promise<{ ok: boolean; ms: number; firstTokenMs: number; events: number }> {
  return new Promise((resolve) => {
    const started = performance.now()
    let firstTokenMs = NaN
    let toolSeen = false
    let inOrder = true
    let tokens = ''
    let events = 1
    const onTool = () => {
      toolSeen = true
      events++
    }
    const onToken = ({ token }: { token: string }) => {
      events++
      if (!tokens) firstTokenMs = performance.now() - started
      if (!toolSeen) inOrder = false
      tokens += token
    }
    const finish = (ok: boolean) => {
      socket.off('tool_start', onTool).off('final_answer_token', onToken).off('final_message', onFinal).off('error', onError)
      resolve({ ok, ms: performance.now() - started, firstTokenMs, events })
    }
    const onFinal = ({ message }: { message: string }) => finish(inOrder && tokens === message && message === BENCH_ANSWER)
    const onError = () => finish(false)
    socket.on('tool_start', onTool).on('final_answer_token', onToken).on('final_message', onFinal).on('error', onError)
    socket.emit('user_message', { user_token: userToken, message: BENCH_QUESTION, application: 'bench' })
  })
}

function printTable(results: Map<string, Measured[]>, oneToolTurn: Map<string, number>, startup: { existingMs: number; freshMs: number }) {
  const rows: [string, (m: Measured) => number, number][] = [
    ['turns/s', (m) => m.turns / m.seconds, 0],
    ['p50 turn ms', (m) => quantile(m.latencies, 0.5), 1],
    ['p99 turn ms', (m) => quantile(m.latencies, 0.99), 1],
    ['p50 first token ms', (m) => quantile(m.firstTokens, 0.5), 1],
    ['server CPU ms/turn', (m) => m.cpuMs / m.turns, 2],
    ['peak RSS MB', (m) => m.peakRssMb, 0],
    ['prompt tokens/turn', (m) => m.promptTokens / m.turns, 0],
    ['events sent/turn', (m) => m.events / m.turns, 1],
    ['turns lost/errored/disordered', (m) => m.failed, 0],
  ]
  const merged = (list: Measured[]): Measured => ({
    turns: sum(list.map((m) => m.turns)),
    failed: sum(list.map((m) => m.failed)),
    seconds: sum(list.map((m) => m.seconds)),
    latencies: list.flatMap((m) => m.latencies),
    firstTokens: list.flatMap((m) => m.firstTokens),
    cpuMs: sum(list.map((m) => m.cpuMs)),
    peakRssMb: Math.max(...list.map((m) => m.peakRssMb)),
    promptTokens: sum(list.map((m) => m.promptTokens)),
    events: sum(list.map((m) => m.events)),
  })
  if (AGAINST) console.log(`baseline: the project built in ${AGAINST}, not the relay`)
  console.log(`| load | figure | baseline | project | project / baseline |`)
  console.log(`|---|---|---|---|---|`)
  for (const load of MEASURED) {
    const baseline = merged(results.get(`${load}/baseline`) ?? [])
    const project = merged(results.get(`${load}/project`) ?? [])
    for (const [name, figure, digits] of rows) {
      const b = figure(baseline)
      const p = figure(project)
      const ratio = b > 0 ? (p / b).toFixed(2) : '—'
      console.log(`| ${load} (${LOADS[load].conversations}×${LOADS[load].turns}, ${ROUNDS} rounds) | ${name} | ${b.toFixed(digits)} | ${p.toFixed(digits)} | ${ratio} |`)
    }
  }
  const b = oneToolTurn.get('baseline') ?? 0
  const p = oneToolTurn.get('project') ?? 0
  console.log(`| one fresh turn | prompt tokens (both calls) | ${b} | ${p} | ${(p / b).toFixed(2)} |`)
  console.log(`| start | \`npm start\` to /ready 200, existing / fresh data folder | — | ${startup.existingMs} / ${startup.freshMs} ms | — |`)
}

async function startProvider() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/fake-provider.ts'], { stdio: ['ignore', 'pipe', 'inherit'] })
  cleanUp.push(() => stop(child))
  const [line] = await new Promise<string[]>((resolve) => createInterface({ input: child.stdout! }).once('line', (text) => resolve([text])))
  const url = JSON.parse(line).url as string
  const base = url.replace(/\/v1$/, '')
  return {
    url,
    setMode: (mode: Load) => fetch(`${base}/mode`, { method: 'POST', body: JSON.stringify({ mode }) }).then((r) => r.json()),
    stats: () => fetch(`${base}/stats`, { method: 'POST' }).then((r) => r.json() as Promise<{ requests: number; promptTokens: number }>),
  }
}

async function startTarget(name: Target['name'], command: string[], env: Record<string, string>, cwd?: string): Promise<Target> {
  const port = await freePort()
  const child = spawn(command[0], command.slice(1), { cwd, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] })
  cleanUp.push(() => stop(child))
  const url = `http://127.0.0.1:${port}`
  await waitForReady(url, 60_000)
  return { name, process: child, url }
}

/** What `npm start` runs, started the same way but without npm in between. */
async function projectCommand(): Promise<string[]> {
  const start = (JSON.parse(await readFile('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/)
  if (start[0] === 'tsx') return [process.execPath, '--import', 'tsx', ...start.slice(1)]
  if (start[0] === 'node') {
    // Built here first, so that the start-up figures time the start, not scripts/start.mjs compiling a stale checkout.
    if (spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' }).status !== 0) throw new Error('npm run build failed')
    return [process.execPath, ...start.slice(1)]
  }
  throw new Error(`cannot run the start script "${start.join(' ')}" without npm`)
}

/** The relay runs the way the project does: through tsx, or compiled to plain JavaScript. */
async function baselineCommand(project: string[]): Promise<string[]> {
  if (project.includes('tsx')) return [process.execPath, '--import', 'tsx', 'bench/relay.ts']
  // Inside node_modules, so that its bare imports resolve to the project's packages.
  const outfile = 'node_modules/.cache/jelly-bench/relay.mjs'
  await build({ entryPoints: ['bench/relay.ts'], outfile, format: 'esm', platform: 'node', target: 'node20' })
  return [process.execPath, outfile]
}

/** `npm start` as a user types it, to /ready 200: on a fresh data folder, then again on the one it left. */
async function measureStartup(): Promise<{ existingMs: number; freshMs: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jelly-start-'))
  cleanUp.push(() => rm(dataDir, { recursive: true, force: true }))
  const once = async () => {
    const port = await freePort()
    const started = performance.now()
    const child = spawn('npm', ['start'], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: 'ignore',
      detached: true,
    })
    await waitForReady(`http://127.0.0.1:${port}`, 60_000)
    const ms = Math.round(performance.now() - started)
    process.kill(-child.pid!, 'SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    return ms
  }
  const freshMs = await once()
  const existingMs = await once()
  return { existingMs, freshMs }
}

async function waitForReady(url: string, timeoutMs: number) {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (
      await fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`${url} did not become ready`)
}

async function connect(base: string): Promise<Socket> {
  const socket = io(base, { transports: ['websocket'], forceNew: true, reconnection: false })
  await new Promise((resolve, reject) => socket.once('connect', () => resolve(undefined)).once('connect_error', reject))
  return socket
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
}

/** The process and its descendants. */
function tree(pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1])
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)])
    } catch {
      // The process ended while we looked.
    }
  }
  const all = [pid]
  for (let i = 0; i < all.length; i++) all.push(...(parents.get(all[i]) ?? []))
  return all
}

/** CPU time of the tree, all threads, from /proc (utime + stime in 10 ms ticks). */
function treeCpuMs(pid: number): number {
  return sum(
    tree(pid).map((id) => {
      try {
        const fields = readFileSync(`/proc/${id}/stat`, 'utf8').split(') ')[1].split(' ')
        return (Number(fields[11]) + Number(fields[12])) * 10
      } catch {
        return 0
      }
    }),
  )
}

function treeRssMb(pid: number): number {
  const kb = sum(tree(pid).map((id) => Number(/VmRSS:\s+(\d+)/.exec(readFileSyncSafe(`/proc/${id}/status`))?.[1] ?? 0)))
  return Math.round(kb / 1024)
}

function readFileSyncSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

function quantile(values: number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0)
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}
