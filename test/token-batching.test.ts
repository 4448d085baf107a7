// Answer tokens batched per client (TOKEN_FLUSH_MS) through the app listening
// on a loopback port, on every streaming transport: a model streaming a word
// every 5 ms reaches the client in a few larger tokens, the first one at once,
// in order, joining exactly to final_message, which comes after the last token.
import t, { type Test } from 'tap'
import OpenAI from 'openai'
import { listenTestApp } from './helpers/app.ts'
import { connectSocketIo, connectWs, socketIoTurn, wsTurn } from './helpers/client.ts'
import { startFakeOpenAI, splitText } from './fakes/openai.ts'
import { postStream, readSse } from './helpers/sse.ts'

const ANSWER =
  'That makes 600.6006 🌊 so twenty thousand split into parts of 33.3 gives six hundred whole parts, ' +
  'with a little left over at the end; ask me for another sum whenever you like and I will work it out for you.'
const PIECES = splitText(ANSWER)
const PIECE_DELAY_MS = 5
const QUESTION = 'What is 20000 divided by 33.3?'

async function providerAndServer(t: Test, tokenFlushMs: string) {
  const fake = await startFakeOpenAI((request) =>
    request.messages.at(-1)?.role === 'tool'
      ? { content: ANSWER, chunkDelayMs: PIECE_DELAY_MS }
      : { toolCalls: [{ name: 'calculator', arguments: '{"expression":"20000 / 33.3"}' }] },
  )
  t.teardown(() => fake.close())
  return listenTestApp(t, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', LLM_MODEL: 'gpt-4o-mini', TOKEN_FLUSH_MS: tokenFlushMs })
}

type Event = { type: string; token?: string; message?: string }

// The same checks for every transport's events, in the order they arrived.
function checkTurn(t: Test, events: Event[]): string[] {
  const types = events.map((e) => e.type)
  t.equal(types[0], 'tool_start', 'tool_start first')
  t.equal(types.at(-1), 'final_message', 'final_message last, after every token')
  t.equal(types.filter((type) => type === 'final_message').length, 1)
  const tokens = events.filter((e) => e.type === 'final_answer_token').map((e) => e.token!)
  t.equal(tokens.join(''), ANSWER, 'the tokens join, in order, to the answer')
  t.equal(events.at(-1)!.message, ANSWER, 'final_message is the joined tokens')
  return tokens
}

async function socketIoEvents(url: string, user: string): Promise<Event[]> {
  const socket = await connectSocketIo(url)
  try {
    return (await socketIoTurn(socket, { user_token: user, message: QUESTION })).events as Event[]
  } finally {
    socket.close()
  }
}

async function wsEvents(url: string, user: string): Promise<Event[]> {
  const ws = await connectWs(url)
  try {
    return (await wsTurn(ws, { type: 'user_message', user_token: user, message: QUESTION })).events as Event[]
  } finally {
    ws.close()
  }
}

async function sseEvents(url: string, user: string): Promise<Event[]> {
  const events: Event[] = []
  const response = await postStream(`${url}/user_message`, { user_token: user, message: QUESTION })
  for await (const message of readSse(response)) {
    if (message.event !== 'comment') events.push({ type: message.event, ...JSON.parse(message.data) })
  }
  return events
}

// /v1 chunks as events: tool progress, content deltas, and the stop chunk in place of final_message.
async function openAiEvents(url: string, user: string): Promise<Event[]> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 })
  const stream = await client.chat.completions.create({ model: 'jelly', user, stream: true, messages: [{ role: 'user', content: QUESTION }] })
  const events: Event[] = []
  let text = ''
  for await (const chunk of stream) {
    const jelly = (chunk as { jelly?: { tool_start?: string } }).jelly
    const choice = chunk.choices[0]
    if (jelly?.tool_start) events.push({ type: 'tool_start' })
    if (choice?.delta.content) {
      text += choice.delta.content
      events.push({ type: 'final_answer_token', token: choice.delta.content })
    }
    if (choice?.finish_reason) events.push({ type: 'final_message', message: text })
  }
  return events
}

const TRANSPORTS = { 'socket.io': socketIoEvents, '/ws': wsEvents, SSE: sseEvents, '/v1 streaming': openAiEvents }

t.test('TOKEN_FLUSH_MS=50: a few tokens per answer, the first at once', async (t) => {
  const server = await providerAndServer(t, '50')
  for (const [name, events] of Object.entries(TRANSPORTS)) {
    t.test(name, async (t) => {
      const tokens = checkTurn(t, await events(server.url, `batch-${name}`))
      t.equal(tokens[0], PIECES[0], 'the first piece is not held back for the window')
      // About PIECES × 5 ms / 50 ms sends; a slow machine only joins more.
      t.ok(tokens.length >= 2 && tokens.length <= PIECES.length / 3, `${tokens.length} tokens for ${PIECES.length} pieces`)
    })
  }
})

t.test('TOKEN_FLUSH_MS=0: each piece streamed apart stays its own token', async (t) => {
  const server = await providerAndServer(t, '0')
  for (const [name, events] of Object.entries(TRANSPORTS)) {
    t.test(name, async (t) => {
      const tokens = checkTurn(t, await events(server.url, `unbatched-${name}`))
      t.ok(tokens.length > PIECES.length / 3, `${tokens.length} tokens for ${PIECES.length} pieces`)
    })
  }
})
