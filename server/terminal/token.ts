// The terminal user's token: chosen with --token, else one per OS user, made
// once and kept under DATA_DIR so the conversation continues next time.
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'

export async function terminalToken(dataDir: string): Promise<string> {
  const user = safeUserName()
  const path = join(dataDir, `terminal-token-${user}`)
  const kept = (await readFile(path, 'utf8').catch(() => '')).trim()
  if (kept) return kept
  const token = `terminal-${user}-${randomBytes(8).toString('hex')}`
  await mkdir(dataDir, { recursive: true })
  await writeFile(path, `${token}\n`, { mode: 0o600 })
  return token
}

function safeUserName(): string {
  let name = 'user'
  try {
    name = userInfo().username
  } catch {
    // No passwd entry (some containers): one shared name will do.
  }
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'user'
}
