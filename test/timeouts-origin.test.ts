// Slow or idle clients cannot hold connections open (request and keep-alive
// timeouts), and socket handshakes from origins outside CORS_ORIGIN are refused
// on /ws and on both Socket.IO transports. The timeouts are the app's own
// (buildApp's server options), so the listening app is what a client meets.
import t from 'tap'
import { connect, type Socket as NetSocket } from 'node:net'
import WebSocket from 'ws'
import { io } from 'socket.io-client'
import { listenTestApp } from './helpers/app.ts'
import { postJson } from './helpers/client.ts'

const ALLOWED = 'https://chat.jelly.example'
const server = await listenTestApp(t, { REQUEST_TIMEOUT_MS: '1000', KEEP_ALIVE_TIMEOUT_MS: '1000', CORS_ORIGIN: `${ALLOWED}, https://other.jelly.example` })
const port = new URL(server.url).port

/** Opens a raw TCP connection, writes `text`, and resolves with what the server sent and how long it kept the connection. */
function rawRequest(text: string, waitMs = 6000): Promise<{ received: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const socket: NetSocket = connect(Number(port), '127.0.0.1')
    const opened = Date.now()
    let received = ''
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ received, closedAfterMs: undefined })
    }, waitMs)
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk))
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ received, closedAfterMs: Date.now() - opened })
    })
    socket.on('error', () => undefined)
    socket.write(text)
  })
}

t.test('a client that never finishes its body gets a 408 and the connection closes', async (t) => {
  const slow = await rawRequest('POST /user_message HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"user_token":')
  t.ok(slow.closedAfterMs !== undefined && slow.closedAfterMs < 3500, `closed after ${slow.closedAfterMs} ms (REQUEST_TIMEOUT_MS=1000)`)
  t.match(slow.received, /^HTTP\/1\.1 408/, 'with 408 Request Timeout')
})

t.test('a client that never finishes its headers is cut off too', async (t) => {
  const slow = await rawRequest('GET /health HTTP/1.1\r\nHost: x\r\n')
  t.ok(slow.closedAfterMs !== undefined && slow.closedAfterMs < 3500, `closed after ${slow.closedAfterMs} ms`)
})

t.test('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS', async (t) => {
  const idle = await rawRequest('GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n')
  t.match(idle.received, /^HTTP\/1\.1 200/, 'answered')
  t.ok(idle.closedAfterMs !== undefined && idle.closedAfterMs < 3500, `then closed after ${idle.closedAfterMs} ms`)
})

t.test('a normal request is unaffected', async (t) => {
  t.equal((await postJson(`${server.url}/user_message`, { user_token: 'timely', message: 'what is 2 plus 2?' })).status, 200)
})

function wsHandshake(origin: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, origin === undefined ? {} : { origin })
    ws.once('open', () => {
      ws.close()
      resolve(101)
    })
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0)
      ws.terminate()
    })
    ws.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error)
    })
  })
}

t.test('/ws checks Origin against CORS_ORIGIN', async (t) => {
  t.equal(await wsHandshake(ALLOWED), 101, 'a listed origin connects')
  t.equal(await wsHandshake('https://other.jelly.example'), 101, 'so does the second one in the list')
  t.equal(await wsHandshake(undefined), 101, 'no Origin (not a browser): allowed')
  t.equal(await wsHandshake('https://evil.example'), 403, 'another origin is refused')
  t.equal(await wsHandshake(`${ALLOWED}.evil.example`), 403, 'a prefix match is not enough')
})

function socketIoHandshake(transport: 'websocket' | 'polling', origin: string | undefined): Promise<string> {
  return new Promise((resolve) => {
    const socket = io(server.url, { transports: [transport], forceNew: true, reconnection: false, extraHeaders: origin === undefined ? {} : { origin } })
    socket.once('connect', () => {
      socket.disconnect()
      resolve('connected')
    })
    socket.once('connect_error', () => {
      socket.disconnect()
      resolve('refused')
    })
  })
}

for (const transport of ['websocket', 'polling'] as const) {
  t.test(`Socket.IO (${transport}) checks Origin against CORS_ORIGIN`, async (t) => {
    t.equal(await socketIoHandshake(transport, ALLOWED), 'connected', 'a listed origin connects')
    t.equal(await socketIoHandshake(transport, undefined), 'connected', 'no Origin: allowed')
    t.equal(await socketIoHandshake(transport, 'https://evil.example'), 'refused', 'another origin is refused')
  })
}

t.test('CORS_ORIGIN=* allows every origin on the sockets', async (t) => {
  const open = await listenTestApp(t, { CORS_ORIGIN: '*' })
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${open.url.replace('http', 'ws')}/ws`, { origin: 'https://anywhere.example' })
    ws.once('open', () => (ws.close(), resolve(101)))
    ws.once('unexpected-response', (_request, response) => (ws.terminate(), resolve(response.statusCode ?? 0)))
  })
  t.equal(status, 101)
})
