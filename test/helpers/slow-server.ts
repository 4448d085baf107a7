// The real server process with a fake model that takes its time, for shutdown tests.
import type { Test } from 'tap'
import { startFakeOpenAI } from '../fakes/openai.ts'
import { spawnServer, type ChildServer } from './child-server.ts'
import { freshMigratedDataDir } from './data-dir.ts'
import { calculatorModel } from './llm-scripts.ts'

export const QUESTION = 'What is 20000 divided by 33.3?'
/** What the offline calculator answers to QUESTION (the LLM loop's fallback). */
export const OFFLINE_ANSWER = '20000 / 33.3 = 600.600600601 🧮'

/** A server whose model takes `delayMs` for every call; `asked()` resolves when the next call arrives. */
export async function slowServer(t: Test, delayMs: number, env: Record<string, string> = {}) {
  const model = calculatorModel(delayMs)
  const fake = await startFakeOpenAI(model.script)
  t.teardown(() => fake.close())
  const dataDir = await freshMigratedDataDir()
  const server = await spawnServer(t, { DATA_DIR: dataDir, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test', ...env })
  const asked = () => new Promise<void>((resolve) => (model.onRequest = () => resolve()))
  return { server, model, dataDir, asked }
}

/** The process's JSON log lines so far. */
export function logLines(server: ChildServer): Record<string, any>[] {
  return server
    .stdout()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}
