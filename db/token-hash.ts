// A user_token is a bearer secret (whoever has it reads that history), so only
// its SHA-256 is stored, used as a key or kept in memory for longer than a turn.
import { createHash } from 'node:crypto'

export function hashToken(userToken: string): Buffer {
  return createHash('sha256').update(userToken, 'utf8').digest()
}
