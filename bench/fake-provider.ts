// The benchmark's LLM provider, in a process of its own so that neither target
// pays for it: an OpenAI-compatible streaming server on 127.0.0.1. The first
// call of a turn streams a calculator tool call, the second (after the tool
// result) streams the answer. Modes, switched with POST /mode:
//   instant — everything at once, in one write;
//   paced   — 4-character pieces 20 ms apart, as a real model streams.
// It counts the prompt tokens it receives (GET /stats), estimated with the
// o200k tokenizer over message texts and the serialised tool list.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { countTokens } from 'gpt-tokenizer'
import { BENCH_ANSWER, BENCH_TOOL_ARGUMENTS } from './turn-script.ts'
import { estimatePromptTokens } from '../test/fakes/prompt-tokens.ts'

const PIECE_CHARS = 4
const PIECE_DELAY_MS = 20

interface Request {
  model: string
  messages: { role: string; content?: string | null; tool_calls?: unknown[] }[]
  tools?: unknown[]
}

let mode: 'instant' | 'paced' = 'instant'
const stats = { requests: 0, promptTokens: 0 }

const server = createServer((req, res) => {
  handle(req, res).catch((error: Error) => {
    res.writeHead(500, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: { message: error.message, type: 'server_error' } }))
  })
})

async function handle(req: IncomingMessage, res: ServerResponse) {
  const body = await readBody(req)
  if (req.url === '/stats') return json(res, stats)
  if (req.url === '/mode') {
    mode = JSON.parse(body).mode
    stats.requests = 0
    stats.promptTokens = 0
    return json(res, { mode })
  }
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return json(res, { error: { message: 'no such route' } }, 404)
  const request = JSON.parse(body) as Request
  const promptTokens = estimatePromptTokens(request)
  stats.requests++
  stats.promptTokens += promptTokens
  const answering = request.messages.at(-1)?.role === 'tool'
  await stream(res, request.model, answering ? { content: BENCH_ANSWER } : { toolArguments: BENCH_TOOL_ARGUMENTS }, promptTokens)
}

async function stream(res: ServerResponse, model: string, reply: { content?: string; toolArguments?: string }, promptTokens: number) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`
  const created = Math.floor(Date.now() / 1000)
  const chunk = (delta: object, finishReason: string | null = null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`
  const parts: string[] = [chunk({ role: 'assistant', content: '' })]
  if (reply.content) for (const piece of pieces(reply.content)) parts.push(chunk({ content: piece }))
  if (reply.toolArguments) {
    const [first, ...rest] = pieces(reply.toolArguments)
    parts.push(chunk({ tool_calls: [{ index: 0, id: `call_${id.slice(-8)}`, type: 'function', function: { name: 'calculator', arguments: first } }] }))
    for (const piece of rest) parts.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }))
  }
  parts.push(chunk({}, reply.toolArguments ? 'tool_calls' : 'stop'))
  const completionTokens = countTokens(reply.content ?? reply.toolArguments ?? '')
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens }
  parts.push(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\ndata: [DONE]\n\n`)
  if (mode === 'instant') return res.end(parts.join(''))
  for (const part of parts) {
    res.write(part)
    await new Promise((resolve) => setTimeout(resolve, PIECE_DELAY_MS))
  }
  res.end()
}

function pieces(text: string): string[] {
  const chars = [...text]
  const out: string[] = []
  for (let i = 0; i < chars.length; i += PIECE_CHARS) out.push(chars.slice(i, i + PIECE_CHARS).join(''))
  return out
}

function json(res: ServerResponse, body: unknown, status = 200) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
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

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/v1` })}\n`)
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
