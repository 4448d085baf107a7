// Debian's Chromium driven by playwright-core, with a fresh profile per launch.
// A missing browser fails the test that needs it: .ci/run installs it.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import type { Test } from 'tap'

export const CHROMIUM = '/usr/bin/chromium'

// Quiet and local: no first-run UI, no background fetches, no QUIC to anywhere.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Screenshots and other artifacts of the browser tests, git-ignored. */
export const ARTIFACTS = fileURLToPath(new URL('../../.artifacts/', import.meta.url))

export interface Browser {
  context: BrowserContext
  /** Console errors and uncaught page errors seen so far, on every page. */
  problems: string[]
  newPage(): Promise<Page>
}

export async function launchBrowser(t: Test, options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'jelly-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: options.viewport ?? { width: 1024, height: 768 },
  })
  t.teardown(async () => {
    await context.close()
    await rm(profile, { recursive: true, force: true })
  })
  const problems: string[] = []
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  }
  context.pages().forEach(watch)
  context.on('page', watch)
  return {
    context,
    problems,
    newPage: async () => context.pages().find((page) => page.url() === 'about:blank') ?? context.newPage(),
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path, fullPage: false })
  return path
}
