// The chat page in a real headless Chromium against the listening app (fake LLM
// provider on 127.0.0.1): greeting, a streamed answer after its tool line, the
// conversation after a reload, safe links, refusals, a phone screen, keyboard
// use, the server going away, and no console errors on the way.
import t from 'tap'
import type { Page } from 'playwright-core'
import { GREETING } from '../server/chat-service.ts'
import { listenTestApp } from './helpers/app.ts'
import { postJson } from './helpers/client.ts'
import { restartServer } from './helpers/restart.ts'
import { startFakeOpenAI, type Script } from './fakes/openai.ts'
import { calculatorModel } from './helpers/llm-scripts.ts'
import { launchBrowser, screenshot } from './helpers/browser.ts'

const QUESTION = 'What is 20000 divided by 33.3?'
const TOOL_LINE = "Let's do the math together 🧮"
const MAX_CHARS = 300
const LINK_ANSWER =
  '## Masternodes\n' +
  'Read [the masternode guide](https://www.defichainwiki.com/docs/auto/Masternode) 📚 or https://example.org/page.\n' +
  '- **20,000 DFI** collateral\n- `defid` running\n\n' +
  'Not these: [bad](javascript:alert(1)) <img src=x onerror="window.pwned=1"> <b>bold?</b>'

const calculator = calculatorModel()
// Words 50 ms apart, slow enough that a loaded machine still paints several of them one by one.
const script: Script = async (request, call) => {
  const last = request.messages.at(-1)
  if (last?.role === 'user' && /link/.test(String(last.content))) return { content: LINK_ANSWER, chunkDelayMs: 10 }
  const reply = await calculator.script(request, call)
  return reply.content ? { ...reply, chunkDelayMs: 50 } : reply
}
const llm = await startFakeOpenAI(script)
t.teardown(() => llm.close())
const server = await listenTestApp(t, { OPENAI_BASE_URL: llm.url, MAX_MESSAGE_CHARS: String(MAX_CHARS) })
const browser = await launchBrowser(t)

type Entry = [kind: string, text: string]

// Every change of the conversation, as [kind, text] per entry, recorded in the page.
const RECORDER = () => {
  const w = window as unknown as { snapshots: Entry[][] }
  w.snapshots = []
  document.addEventListener('DOMContentLoaded', () => {
    const log = document.getElementById('conversation')!
    new MutationObserver(() => {
      w.snapshots.push([...log.querySelectorAll('.entry')].map((e) => [e.className.replace('entry ', ''), e.querySelector('.body')!.textContent!] as Entry))
    }).observe(log, { childList: true, subtree: true, characterData: true })
  })
}

async function entries(page: Page): Promise<Entry[]> {
  return page.$$eval('#conversation .entry', (nodes) => nodes.map((e) => [e.className.replace('entry ', ''), e.querySelector('.body')!.textContent!] as Entry))
}

/** Waits until the page shows `count` answers from Jelly and none is still streaming. */
async function answers(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (count) => document.querySelectorAll('.entry.jelly').length === count && !document.querySelector('[aria-busy="true"]') && !document.querySelector('.thinking'),
    count,
    { timeout: 15_000 },
  )
}

async function openChat(page: Page): Promise<void> {
  await page.goto(server.url)
  await page.waitForSelector('#connection[data-state="online"]')
  await page.waitForSelector('.entry.jelly')
}

const page = await browser.newPage()
await page.addInitScript(RECORDER)
let tokenOfPage = ''

t.test('a new visitor sees the greeting and can type at once', async (t) => {
  await openChat(page)
  t.same(await entries(page), [['jelly', GREETING]], "Jelly's greeting, from POST /history")
  t.equal(await page.evaluate(() => document.activeElement?.id), 'message', 'the message box has the focus')
  t.equal(await page.getByLabel('Message to Jelly').count(), 1, 'the message box is labelled')
  const log = page.getByRole('log', { name: 'Conversation with Jelly' })
  t.equal(await log.getAttribute('aria-live'), 'polite', 'the conversation is a polite live region')
  t.ok(await page.locator('#send').isDisabled(), 'nothing to send yet')
  tokenOfPage = await page.evaluate(() => localStorage.getItem('jelly.user_token') ?? '')
  t.match(tokenOfPage, /^web-[0-9a-f]{32}$/, 'a random token is kept in localStorage')
})

t.test('a question: the tool line first, then the answer streamed token by token, intact after a reload', async (t) => {
  await page.evaluate(() => ((window as unknown as { snapshots: Entry[][] }).snapshots.length = 0))
  await page.keyboard.type(QUESTION)
  await page.keyboard.press('Enter')
  await answers(page, 2)

  const shown = await entries(page)
  t.same(shown.slice(0, 3), [
    ['jelly', GREETING],
    ['human', QUESTION],
    ['tool', TOOL_LINE],
  ])
  const answer = shown[3]?.[1] ?? ''
  t.match(answer, /^The answer is 600\.6\d* 🧮🌊$/, "the fake model's answer, whole")
  t.equal(shown.length, 4)

  const snapshots = await page.evaluate(() => (window as unknown as { snapshots: Entry[][] }).snapshots)
  const firstTool = snapshots.findIndex((s) => s.some(([kind]) => kind === 'tool'))
  const firstAnswer = snapshots.findIndex((s) => s.filter(([kind]) => kind === 'jelly').length === 2)
  t.ok(firstTool >= 0 && firstTool < firstAnswer, 'the tool line shows before any of the answer')
  const partial = new Set(snapshots.map((s) => s[3]?.[1]).filter((text): text is string => Boolean(text) && text !== answer))
  t.ok(partial.size >= 2, `the answer grew in steps on screen (${partial.size} partial states)`)
  for (const text of partial) t.ok(answer.startsWith(text), `"${text}" is a beginning of the answer`)

  t.equal(await page.evaluate(() => document.activeElement?.id), 'message', 'the focus is back in the message box')
  const stored = await postJson(`${server.url}/history`, { user_token: tokenOfPage })
  t.equal(stored.body.at(-1).content, answer, 'the page shows what the server stored')
  await screenshot(page, 'chat-desktop')

  await page.reload()
  await answers(page, 2)
  t.same(await entries(page), shown, 'the same conversation after a reload')
})

t.test('links in answers are clickable, and nothing else becomes markup', async (t) => {
  await page.locator('#message').focus()
  await page.keyboard.type('give me a wiki link')
  await page.keyboard.press('Tab')
  t.equal(await page.evaluate(() => document.activeElement?.id), 'send', 'Tab reaches the Send button')
  await page.keyboard.press('Enter')
  await answers(page, 3)
  const last = page.locator('.entry.jelly').last()
  const links = await last
    .locator('a')
    .evaluateAll((anchors) => anchors.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')]))
  t.same(links, [
    ['the masternode guide', 'https://www.defichainwiki.com/docs/auto/Masternode', '_blank', 'noopener noreferrer'],
    ['https://example.org/page', 'https://example.org/page', '_blank', 'noopener noreferrer'],
  ])
  t.same(await last.locator('li').allTextContents(), ['20,000 DFI collateral', 'defid running'], 'a list')
  t.same(await last.locator('strong').allTextContents(), ['Masternodes', '20,000 DFI'], 'a heading and bold text')
  t.equal(await last.locator('code').textContent(), 'defid')
  t.equal(await page.locator('#conversation img, #conversation b').count(), 0, 'HTML in an answer stays text')
  t.match(await last.textContent(), '[bad](javascript:alert(1)) <img src=x onerror="window.pwned=1">', 'shown literally')
  t.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined)
})

t.test('a refused message shows the server’s words, goes back into the box and is not stored', async (t) => {
  const before = (await postJson(`${server.url}/history`, { user_token: tokenOfPage })).body.length
  const tooLong = 'x'.repeat(MAX_CHARS + 1)
  await page.locator('#message').fill(tooLong)
  await page.keyboard.press('Enter')
  const error = page.locator('.entry.error')
  await error.waitFor()
  t.match(await error.textContent(), `message is too long (the limit is ${MAX_CHARS} characters)`)
  t.equal(await page.locator('#message').inputValue(), tooLong, 'the message is back in the box to shorten')
  t.equal(await page.locator('.entry.human.refused .who').textContent(), 'You (not sent)', 'the message is marked as not sent')
  t.equal((await postJson(`${server.url}/history`, { user_token: tokenOfPage })).body.length, before, 'nothing stored')

  await page.locator('#message').fill('   ')
  t.ok(await page.locator('#send').isDisabled(), 'a blank message cannot be sent')
  await page.locator('#message').fill('')
})

t.test('on a phone-sized screen everything fits', async (t) => {
  const phone = await browser.newPage()
  await phone.setViewportSize({ width: 390, height: 844 })
  await openChat(phone)
  await answers(phone, 3)
  t.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling')
  const box = await phone.locator('#composer').boundingBox()
  t.ok(box && box.y + box.height <= 844 && box.y > 400, 'the message box sits at the bottom of the screen')
  const send = await phone.locator('#send').boundingBox()
  t.ok(send && send.height >= 44 && send.x + send.width <= 390, 'the Send button is a full-size touch target')
  await phone.locator('#message').fill('15% of 2000')
  await screenshot(phone, 'chat-phone')
  await phone.close()
})

t.test('no console errors while the server is up', async (t) => {
  t.same(browser.problems, [])
})

t.test('when the server goes away the page says so', async (t) => {
  await server.stop()
  const notice = page.locator('#notice')
  await notice.waitFor({ state: 'visible' })
  // First the lost connection, then (once a retry fails) that Jelly cannot be reached.
  t.match(await notice.textContent(), /Lost the connection to Jelly|Jelly can't be reached right now/)
  t.equal(await page.locator('#connection').getAttribute('data-state'), 'offline')
  await page.locator('#message').fill('hello?')
  t.ok(await page.locator('#send').isDisabled(), 'sending waits for the connection')
  await screenshot(page, 'chat-offline')
  t.same(
    browser.problems.filter((problem) => !/net::ERR_|WebSocket connection/.test(problem)),
    [],
    'only the failed reconnects, no script errors',
  )
})

t.test('after a restart on the same address the page reconnects and carries on', async (t) => {
  await restartServer(t, server, { OPENAI_BASE_URL: llm.url })
  await page.waitForSelector('#connection[data-state="online"]', { timeout: 15_000 })
  await page.locator('#notice').waitFor({ state: 'hidden' })
  await page.locator('#message').fill('what is 6*7')
  await page.keyboard.press('Enter')
  await answers(page, 4)
  t.match(await page.locator('.entry.jelly').last().textContent(), 'The answer is 42 🧮🌊', 'answered by the restarted server')
})
