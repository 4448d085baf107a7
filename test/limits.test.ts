// Limits on every transport: per user_token and per client IP rate limits, the
// bounded per-user queue, sockets per IP and overload (turns in flight, event-loop
// lag). A refused message gets 429/503 + Retry-After or an error event, nothing
// is stored for it, and the connection stays usable.
import t, { type Test } from 'tap'
import type { Socket } from 'socket.io-client'
import type WebSocket from 'ws'
import { listenTestApp } from './helpers/app.ts'
import { connectSocketIo, connectWs } from './helpers/client.ts'
import { eventually, getJson, recordSocketIo, recordWs, type Recorder } from './helpers/chat.ts'
import { startFakeOpenAI } from './fakes/openai.ts'
import { io } from 'socket.io-client'
import WsClient from 'ws'
import { watchEventLoopLag } from '../server/event-loop-lag.ts'

interface Outcome {
  ok: boolean
  status?: number
  retryAfter?: number
  error?: string
  answer?: string
}

type Send = (token: string, message: string) => Promise<Outcome>

/** A sender per transport; the socket ones keep one connection across messages. */
async function transports(t: Test, url: string, headers: Record<string, string> = {}): Promise<Record<string, Send>> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: headers })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
  const ws = new WsClient(url.replace(/^http/, 'ws') + '/ws', { headers })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  t.teardown(() => {
    socket.close()
    ws.close()
  })
  const socketRecorder = recordSocketIo(socket)
  const wsRecorder = recordWs(ws)
  const fromEvents = async (recorder: Recorder, from: number): Promise<Outcome> => {
    const [end] = (await recorder.until((e) => e.type === 'final_message' || e.type === 'error', { from })).slice(-1)
    if (end.type === 'error') return { ok: false, error: String(end.error), retryAfter: end.retry_after as number | undefined }
    return { ok: true, answer: String(end.message) }
  }
  return {
    rest: async (token, message) => {
      const response = await fetch(`${url}/user_message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ user_token: token, message }),
      })
      const body = await response.json()
      const retry = response.headers.get('retry-after')
      return { ok: response.status === 200, status: response.status, retryAfter: retry === null ? undefined : Number(retry), error: body.error, answer: body.response }
    },
    'socket.io': async (token, message) => {
      const from = socketRecorder.events.length
      socket.emit('user_message', { user_token: token, message })
      return fromEvents(socketRecorder, from)
    },
    websocket: async (token, message) => {
      const from = wsRecorder.events.length
      ws.send(JSON.stringify({ type: 'user_message', user_token: token, message }))
      return fromEvents(wsRecorder, from)
    },
    openai: async (token, message) => {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: 'jelly', user: token, messages: [{ role: 'user', content: message }] }),
      })
      const body = await response.json()
      const retry = response.headers.get('retry-after')
      return {
        ok: response.status === 200,
        status: response.status,
        retryAfter: retry === null ? undefined : Number(retry),
        error: body.error?.message,
        answer: body.choices?.[0]?.message.content,
      }
    },
    mcp: async (token, message) => {
      const response = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ask_jelly', arguments: { message, user_token: token } } }),
      })
      const data = (await response.text()).match(/^data: (.*)$/m)?.[1]
      const { result } = JSON.parse(data ?? '{}') as { result?: { isError?: boolean; content: { text: string }[] } }
      const text = result?.content[0]?.text
      return result?.isError ? { ok: false, error: text, retryAfter: Number(text?.match(/(\d+) s(econds)?\b/)?.[1]) } : { ok: result !== undefined, answer: text }
    },
  }
}

const humanCount = async (url: string) => Number((await getJson(`${url}/human_message_count`)).body.status)

t.test('RATE_LIMIT_USER: the N+1st message of a user is refused on every transport; other users are not', async (t) => {
  const server = await listenTestApp(t, { RATE_LIMIT_USER: '3/1m' })
  const send = await transports(t, server.url)
  for (const [name, sendOne] of Object.entries(send)) {
    const token = `limited-${name}`
    for (let i = 1; i <= 3; i++) t.ok((await sendOne(token, `what is ${i} + 1`)).ok, `${name}: message ${i} answered`)
    const before = await humanCount(server.url)
    const refused = await sendOne(token, 'what is 4 + 1')
    t.notOk(refused.ok, `${name}: the 4th is refused`)
    if (name === 'rest') t.equal(refused.status, 429, 'REST: 429')
    t.match(refused.error, /Too many messages from this user: at most 3 per minute\. Please wait \d+ s/, `${name}: the error names the limit and the wait`)
    t.ok(refused.retryAfter! >= 1 && refused.retryAfter! <= 60, `${name}: Retry-After in seconds (${refused.retryAfter})`)
    t.equal(await humanCount(server.url), before, `${name}: nothing stored for the refused message`)
    const other = await sendOne(`someone-else-${name}`, 'what is 2 + 2')
    t.ok(other.ok, `${name}: another user on the same connection is answered`)
    t.match(other.answer, /4/)
  }
  const history = (await getJson(`${server.url}/messages_answers?limit=500`)).body as { question: string }[]
  t.notOk(
    history.some((row) => row.question === 'what is 4 + 1'),
    'no refused message reached the question/answer log',
  )
})

t.test('RATE_LIMIT_IP: counted per client address, across transports; TRUST_PROXY decides whose address', async (t) => {
  const server = await listenTestApp(t, { RATE_LIMIT_IP: '2/1m', TRUST_PROXY: 'loopback' })
  const ips = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5']
  for (const ip of ips) {
    const send = await transports(t, server.url, { 'fly-client-ip': ip })
    const [name, sendOne] = Object.entries(send)[ips.indexOf(ip)]
    t.ok((await sendOne(`a-${ip}`, '1 + 1')).ok, `${name}: first from ${ip}`)
    t.ok((await sendOne(`b-${ip}`, '1 + 2')).ok, `${name}: second from ${ip}, another token`)
    const before = await humanCount(server.url)
    const refused = await sendOne(`c-${ip}`, '1 + 3')
    t.notOk(refused.ok, `${name}: third from ${ip} refused although the token is new`)
    t.match(refused.error, /Too many messages from your address: at most 2 per minute/)
    t.equal(await humanCount(server.url), before, 'nothing stored')
  }
  const fresh = await transports(t, server.url, { 'x-forwarded-for': '198.51.100.7' })
  t.ok((await fresh.rest('d', '2 + 2')).ok, 'X-Forwarded-For from a trusted proxy counts as its own address')

  const untrusting = await listenTestApp(t, { RATE_LIMIT_IP: '2/1m' })
  const spoof = (ip: string) =>
    fetch(`${untrusting.url}/user_message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'fly-client-ip': ip, 'x-forwarded-for': ip },
      body: JSON.stringify({ user_token: ip, message: '1 + 1' }),
    })
  t.equal((await spoof('192.0.2.1')).status, 200)
  t.equal((await spoof('192.0.2.2')).status, 200)
  t.equal((await spoof('192.0.2.3')).status, 429, 'without TRUST_PROXY the headers are ignored: the real address is limited')
})

t.test('MAX_PENDING_PER_USER: a user may have only so many turns waiting', async (t) => {
  let open: () => void = () => undefined
  let gate = new Promise<void>((resolve) => (open = resolve))
  const fake = await startFakeOpenAI(async () => {
    await gate
    return { content: 'All done 🪼' }
  })
  t.teardown(() => fake.close())
  const server = await listenTestApp(t, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', MAX_PENDING_PER_USER: '2' })
  const send = await transports(t, server.url)
  for (const [name, sendOne] of Object.entries(send)) {
    gate = new Promise<void>((resolve) => (open = resolve))
    const token = `queued-${name}`
    const asked = fake.requests.length
    const first = sendOne(token, 'first question')
    const second = name === 'rest' ? sendOne(token, 'second question') : (await transports(t, server.url))[name](token, 'second question')
    // The first turn is waiting on the model, so its message is stored.
    await eventually(async () => fake.requests.length > asked, 5000, 'the first turn reaching the model')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const before = await humanCount(server.url)
    const third = await (await transports(t, server.url))[name](token, 'third question')
    t.notOk(third.ok, `${name}: the third pending turn is refused`)
    if (name === 'rest') t.equal(third.status, 429)
    t.match(third.error, /already have 2 messages waiting/)
    t.equal(await humanCount(server.url), before, 'nothing stored for it')
    const other = (await transports(t, server.url))[name](`other-${name}`, 'another question')
    open()
    t.ok((await first).ok && (await second).ok && (await other).ok, `${name}: the queued turns and another user are answered`)
    t.ok((await sendOne(token, 'fourth question')).ok, `${name}: once the queue drained the user is answered again`)
  }
})

t.test('MAX_SOCKETS_PER_IP: Socket.IO and /ws connections from one address, counted together', async (t) => {
  const server = await listenTestApp(t, { MAX_SOCKETS_PER_IP: '2' })
  const socket = await connectSocketIo(server.url)
  const ws = await connectWs(server.url)
  const refusedIo = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false })
  const ioError = await new Promise<Error>((resolve) => refusedIo.once('connect_error', resolve))
  t.match(ioError.message, /Too many open connections from your address \(at most 2\)/, 'Socket.IO: connect_error in words')
  refusedIo.close()
  const refusedWs = new WsClient(server.url.replace(/^http/, 'ws') + '/ws')
  const frames: string[] = []
  refusedWs.on('message', (data) => frames.push(data.toString()))
  const code = await new Promise<number>((resolve) => refusedWs.once('close', resolve))
  t.equal(code, 1013, '/ws: closed with 1013 (try again later)')
  t.match(JSON.parse(frames[0]), { type: 'error', error: /Too many open connections/ }, '/ws: an error frame first')

  const recorder = recordSocketIo(socket as Socket)
  socket.emit('user_message', { user_token: 'still-here', message: '3 * 3' })
  t.match((await recorder.until((e) => e.type === 'final_message'))[0], {}, 'the open connections still work')
  socket.close()
  await new Promise((resolve) => setTimeout(resolve, 200))
  const again = await connectSocketIo(server.url)
  t.ok(again.connected, 'a closed connection frees its place')
  again.close()
  ;(ws as WebSocket).close()
})

t.test('overload: with OVERLOAD_MAX_TURNS turns running, new turns get 503 + Retry-After on every transport; /health stays 200', async (t) => {
  let open: () => void = () => undefined
  const gate = new Promise<void>((resolve) => (open = resolve))
  const fake = await startFakeOpenAI(async () => {
    await gate
    return { content: 'Finally 🪼' }
  })
  t.teardown(() => fake.close())
  const server = await listenTestApp(t, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', OVERLOAD_MAX_TURNS: '1' })
  const send = await transports(t, server.url)
  const running = send.rest('busy-user', 'a slow question')
  await eventually(async () => fake.requests.length > 0, 5000, 'the running turn reaching the model')
  const before = await humanCount(server.url)
  for (const [name, sendOne] of Object.entries(send)) {
    const refused = await sendOne(`newcomer-${name}`, 'hello there')
    t.notOk(refused.ok, `${name}: refused while overloaded`)
    if (name === 'rest') t.equal(refused.status, 503, 'REST: 503')
    t.equal(refused.retryAfter, 5, `${name}: Retry-After 5`)
    t.match(refused.error, /very busy/)
  }
  t.equal((await getJson(`${server.url}/health`)).status, 200, '/health stays 200')
  t.equal(await humanCount(server.url), before, 'nothing stored for refused turns')
  open()
  t.ok((await running).ok)
  t.ok((await send.websocket('newcomer-websocket', '1 + 1')).ok, 'answered again once the load is gone')
})

t.test('the event-loop lag watch reports a loop kept busy, and recovers', async (t) => {
  const watch = watchEventLoopLag(50)
  t.teardown(watch.stop)
  const busyUntil = Date.now() + 1200
  await new Promise<void>((resolve) => {
    const chunk = () => {
      const end = Date.now() + 100
      while (Date.now() < end);
      if (Date.now() < busyUntil) setImmediate(chunk)
      else resolve()
    }
    chunk()
  })
  t.ok(watch.lagging(), 'lagging after a second of 100 ms blocks')
  await new Promise((resolve) => setTimeout(resolve, 1200))
  t.notOk(watch.lagging(), 'not lagging once the loop is free')
})

t.test('limit settings are validated, naming the variable', async (t) => {
  const { loadConfig } = await import('../server/config.ts')
  t.same(loadConfig({ RATE_LIMIT_USER: '20/1m' }).rateLimitUser, { max: 20, windowMs: 60_000 })
  t.same(loadConfig({ RATE_LIMIT_IP: '100/h' }).rateLimitIp, { max: 100, windowMs: 3_600_000 })
  t.equal(loadConfig({ RATE_LIMIT_USER: '0' }).rateLimitUser, undefined, '0 turns it off')
  t.ok(loadConfig({}).rateLimitUser && loadConfig({}).rateLimitIp && loadConfig({}).rateLimitHttp, 'on by default')
  for (const bad of ['20', '20/1y', 'x/1m', '20/0s', '-1/1m', '20/500ms']) {
    t.throws(() => loadConfig({ RATE_LIMIT_USER: bad }), new RegExp(`^RATE_LIMIT_USER must be "N/window" like 20/1m .*got "${bad}"`), `"${bad}" refused`)
  }
  t.equal(loadConfig({ TRUST_PROXY: '1' }).trustProxy, 1)
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true)
  t.same(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy, ['loopback', '10.0.0.0/8'])
  t.throws(() => loadConfig({ TRUST_PROXY: 'not-an-address' }), /^TRUST_PROXY must be true, false, a number of proxy hops/)
  t.equal(loadConfig({ CORS_ORIGIN: 'https://chat.example.com, http://localhost:5173' }).corsOrigin, 'https://chat.example.com, http://localhost:5173')
  for (const wrong of ['https://chat.example.com/', 'chat.example.com', 'https://chat.example.com/app', 'ftp://chat.example.com'])
    t.throws(() => loadConfig({ CORS_ORIGIN: `https://ok.example, ${wrong}` }), {
      message: `CORS_ORIGIN must be * or origins like https://chat.example.com (scheme, host and port, comma-separated), got "${wrong}"`,
    })
})
