// Runs `npm run chat` (server/terminal/chat.ts) as a child process, through a
// pipe or in a pseudo-terminal made by util-linux `script` (no native build).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ENTRY = ['--import', 'tsx', 'server/terminal/chat.ts']

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** Only what node needs plus `env`: nothing from the developer's shell (an API key, tap's NODE_OPTIONS) leaks in. */
function cleanEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = { OCEAN_URL: 'http://127.0.0.1:9' }
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'USER']) {
    if (process.env[name]) base[name] = process.env[name]!
  }
  return { ...base, ...env }
}

/** Feeds `input` through a pipe and waits for the exit. `npm: true` runs `npm run -s chat` itself. */
export async function runPiped(
  input: string,
  env: Record<string, string>,
  args: string[] = [],
  options: { npm?: boolean } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const [command, argv] = options.npm ? ['npm', ['run', '-s', 'chat', '--', ...args]] : [process.execPath, [...ENTRY, ...args]]
  const child = spawn(command, argv, { cwd: ROOT, env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  child.stdin.end(input)
  const exit = await new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  clearTimeout(timer)
  return { ...exit, stdout, stderr }
}

export interface Terminal {
  child: ChildProcess
  /** Everything shown so far, without colour and cursor codes, with \r\n as \n. */
  screen(): string
  type(keys: string): void
  /** Resolves once the screen matches, after `from` characters; fails after `timeoutMs`. */
  waitFor(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<void>
  exited: Promise<Exit>
}

export const CTRL_C = '\x03'
export const CTRL_D = '\x04'

export function runInTerminal(t: Test, env: Record<string, string>, args: string[] = []): Terminal {
  const command = [process.execPath, ...ENTRY, ...args].map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(' ')
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
    cwd: ROOT,
    env: cleanEnv({ TERM: 'xterm-256color', COLUMNS: '120', LINES: '40', ...env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let raw = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk))
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  // eslint-style ANSI stripping: CSI sequences and the odd OSC.
  const screen = () => raw.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g, '').replace(/\r+\n/g, '\n')
  return {
    child,
    screen,
    type: (keys) => void child.stdin!.write(keys),
    waitFor: (pattern, { from = 0, timeoutMs = 30_000 } = {}) =>
      new Promise((resolve, reject) => {
        const started = Date.now()
        const check = setInterval(() => {
          if (pattern.test(screen().slice(from))) {
            clearInterval(check)
            resolve()
          } else if (Date.now() - started > timeoutMs || child.exitCode !== null) {
            clearInterval(check)
            reject(new Error(`the terminal never showed ${pattern}; it shows:\n${screen()}`))
          }
        }, 25)
      }),
    exited,
  }
}

/** The token the terminal chat keeps for this OS user under DATA_DIR, if it made one. */
export function keptToken(dataDir: string): string | undefined {
  const name = readdirSync(dataDir).find((file) => file.startsWith('terminal-token-'))
  return name ? readFileSync(join(dataDir, name), 'utf8').trim() : undefined
}

/** Whether the embedded database's lock file is there. */
export const isLocked = (dataDir: string) => existsSync(join(dataDir, 'jelly.lock'))
