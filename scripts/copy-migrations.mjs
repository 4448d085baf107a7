// The compiled migration runner (dist/db/migrate.js) reads ../migrations, so the
// SQL files go next to the compiled code; tsc only emits code.
import { cpSync, rmSync } from 'node:fs'

rmSync('dist/migrations', { recursive: true, force: true })
cpSync('migrations', 'dist/migrations', { recursive: true })
