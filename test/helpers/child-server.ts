// Runs the real entry point (`node --import tsx server/main.ts`) as a child
// process, for what only a process shows: signals, exit codes, its log output.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { LIMITS_OFF } from './server.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface ChildServer {
  url: string
  port: number
  child: ChildProcess
  /** Everything the process wrote so far. */
  stdout(): string
  stderr(): string
  exited: Promise<Exit>
  /** Sends a signal (SIGTERM by default) and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<Exit>
}

/**
 * A clean environment: only what node needs plus `env`, so nothing from the
 * developer's shell (a real OPENAI_API_KEY, tap's NODE_OPTIONS) leaks in.
 */
function childEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = { OCEAN_URL: 'http://127.0.0.1:9', HOST: '127.0.0.1', PORT: '0', ...LIMITS_OFF }
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    if (process.env[name]) base[name] = process.env[name]!
  }
  return { ...base, ...env }
}

function launch(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  // Let the pipes drain before anyone reads the output of an exited process.
  const closed = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  return { child, stdout: () => stdout, stderr: () => stderr, exited, closed }
}

/** Runs the entry point until it exits on its own (e.g. with a bad configuration). */
export async function runUntilExit(env: Record<string, string>, timeoutMs = 15_000): Promise<Exit & { stdout: string; stderr: string }> {
  const run = launch(env)
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs)
  const exit = await run.closed
  clearTimeout(timer)
  return { ...exit, stdout: run.stdout(), stderr: run.stderr() }
}

/** Starts the server process (PORT=0 unless given) and resolves once it logs that it is listening. */
export async function spawnServer(t: Test, env: Record<string, string>): Promise<ChildServer> {
  const run = launch({ LOG_LEVEL: 'info', ...env })
  t.teardown(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL')
      await run.closed
    }
  })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 20 s; stderr: ${run.stderr()}`)), 20_000)
    const onData = () => {
      for (const line of run.stdout().split('\n')) {
        if (!line.includes('"Jelly is listening"')) continue
        clearTimeout(timer)
        run.child.stdout!.off('data', onData)
        return resolve((JSON.parse(line) as { port: number }).port)
      }
    }
    run.child.stdout!.on('data', onData)
    void run.exited.then((exit) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${JSON.stringify(exit)}) before listening; stderr: ${run.stderr()} stdout: ${run.stdout()}`))
    })
  })
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child: run.child,
    stdout: run.stdout,
    stderr: run.stderr,
    exited: run.closed,
    async stop(signal = 'SIGTERM') {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill(signal)
      return run.closed
    },
  }
}
