// A scripted OpenAI-compatible chat server on 127.0.0.1 that speaks the real
// streaming format (SSE chat.completion.chunk, tool_calls deltas, [DONE]), so
// the real `openai` SDK inside the server talks to it as to the real thing.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeToolCall {
  name: string
  /** Raw JSON text, sent in several deltas; may be deliberately malformed. */
  arguments: string
  id?: string
}

export interface FakeReply {
  content?: string
  toolCalls?: FakeToolCall[]
  /** Answer with this HTTP status and an OpenAI error body instead. */
  status?: number
  /** Wait before answering (ms). */
  delayMs?: number
  /** Wait between streamed content chunks (ms), as a real model does. */
  chunkDelayMs?: number
  usage?: { prompt_tokens: number; completion_tokens: number }
  /** Mid-stream faults, after this many chunks (the role chunk counts): drop the connection, send an error event, or stop sending and hold it open. */
  fault?: { afterChunks: number; kind: 'drop' | 'error' | 'stall' }
}

export interface ChatRequest {
  model: string
  messages: { role: string; content?: string | null; tool_calls?: unknown[]; tool_call_id?: string }[]
  tools?: { type: 'function'; function: { name: string; description: string; parameters: unknown } }[]
  stream?: boolean
  [key: string]: unknown
}

export type Script = (request: ChatRequest, call: number) => FakeReply | Promise<FakeReply>

export interface FakeOpenAI {
  /** Base URL for OPENAI_BASE_URL (ends with /v1). */
  url: string
  requests: ChatRequest[]
  /** Each request's HTTP headers, in the order of `requests`. */
  headers: IncomingHttpHeaders[]
  /** Per request: the last user message and the milliseconds the fake spent on it. */
  timings: { lastUser: string; ms: number }[]
  /** Milliseconds the fake spent waiting on purpose (delayMs), summed. */
  delayedMs: number
  /** TCP connections clients opened to the fake. */
  connections: number
  close(): Promise<void>
}

export async function startFakeOpenAI(script: Script): Promise<FakeOpenAI> {
  const requests: ChatRequest[] = []
  const headers: IncomingHttpHeaders[] = []
  const timings: FakeOpenAI['timings'] = []
  const state = { delayedMs: 0, connections: 0 }
  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: error.message, type: 'server_error' } }))
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ error: { message: `no route ${req.url}`, type: 'invalid_request_error' } }))
    }
    const body = await readBody(req)
    const started = performance.now()
    const request = JSON.parse(body) as ChatRequest
    requests.push(request)
    headers.push(req.headers)
    res.on('finish', () => timings.push({ lastUser: String(request.messages.filter((m) => m.role === 'user').at(-1)?.content ?? ''), ms: performance.now() - started }))
    const reply = await script(request, requests.length - 1)
    if (reply.delayMs) {
      state.delayedMs += reply.delayMs
      // Unref'd: a test that ends before a long delay (a shutdown cutting a slow turn) need not wait it out.
      await new Promise((resolve) => setTimeout(resolve, reply.delayMs).unref())
    }
    if (reply.status && reply.status >= 400) {
      res.writeHead(reply.status, { 'content-type': 'application/json', 'retry-after-ms': '10' })
      return res.end(JSON.stringify({ error: { message: `scripted ${reply.status}`, type: 'server_error', code: null } }))
    }
    if (request.stream) return stream(res, request.model, reply)
    return complete(res, request.model, reply)
  }

  server.on('connection', () => state.connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    headers,
    timings,
    get delayedMs() {
      return state.delayedMs
    },
    get connections() {
      return state.connections
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function stream(res: ServerResponse, model: string, reply: FakeReply) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  // Corked: without chunk delays the whole stream leaves in one write, so the fake stays cheap in benchmarks.
  res.cork()
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`
  const created = Math.floor(Date.now() / 1000)
  let sent = 0
  let faulted = false
  const send = (delta: object, finishReason: string | null = null, usage?: object) => {
    if (faulted) return
    if (reply.fault && sent === reply.fault.afterChunks) return fault(reply.fault.kind)
    sent++
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }], ...(usage ? { usage } : {}) })}\n\n`,
    )
  }
  const fault = (kind: 'drop' | 'error' | 'stall') => {
    faulted = true
    res.uncork()
    // After what was written: a response cut short, as a dropped connection leaves it.
    if (kind === 'drop') res.socket?.destroySoon()
    if (kind === 'error') res.end(`data: ${JSON.stringify({ error: { message: 'scripted stream error', type: 'server_error' } })}\n\n`)
  }

  send({ role: 'assistant', content: '' })
  for (const piece of splitText(reply.content ?? '')) {
    if (reply.chunkDelayMs) {
      res.uncork()
      await new Promise((resolve) => setTimeout(resolve, reply.chunkDelayMs))
      res.cork()
    }
    send({ content: piece })
  }
  reply.toolCalls?.forEach((call, index) => {
    const [first, ...rest] = splitArguments(call.arguments)
    send({ tool_calls: [{ index, id: call.id ?? `call_${index}_${id.slice(-6)}`, type: 'function', function: { name: call.name, arguments: first } }] })
    for (const piece of rest) send({ tool_calls: [{ index, function: { arguments: piece } }] })
  })
  send({}, reply.toolCalls?.length ? 'tool_calls' : 'stop')
  if (faulted) return
  const usage = reply.usage ?? { prompt_tokens: 100, completion_tokens: 20 }
  res.write(
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })}\n\n`,
  )
  res.end('data: [DONE]\n\n')
}

function complete(res: ServerResponse, model: string, reply: FakeReply) {
  const usage = reply.usage ?? { prompt_tokens: 100, completion_tokens: 20 }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(
    JSON.stringify({
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          finish_reason: reply.toolCalls?.length ? 'tool_calls' : 'stop',
          message: {
            role: 'assistant',
            content: reply.content ?? null,
            tool_calls: reply.toolCalls?.map((call, index) => ({
              id: call.id ?? `call_${index}`,
              type: 'function',
              function: { name: call.name, arguments: call.arguments },
            })),
          },
        },
      ],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    }),
  )
}

/** Word-sized pieces, as a model streams them. */
export function splitText(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? []
}

function splitArguments(args: string): string[] {
  if (args.length < 4) return [args]
  const third = Math.ceil(args.length / 3)
  return [args.slice(0, third), args.slice(third, 2 * third), args.slice(2 * third)]
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}
