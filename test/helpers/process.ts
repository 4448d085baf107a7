// A command as a child process with its output collected, for tests that need
// more than child-server.ts gives (compiled code, a slow first start).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export function runProcess(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  /** Resolves with the port once the server logs that it listens. */
  const listening = (timeoutMs: number) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within ${timeoutMs} ms: ${stderr}`)), timeoutMs)
      const check = () => {
        const line = stdout.split('\n').find((entry) => entry.includes('"Jelly is listening"'))
        if (!line) return
        clearTimeout(timer)
        child.stdout.off('data', check)
        resolve((JSON.parse(line) as { port: number }).port)
      }
      child.stdout.on('data', check)
      check()
    })
  return { child, closed, listening, stdout: () => stdout, stderr: () => stderr }
}
