// An OpenAI-compatible embeddings server on 127.0.0.1: deterministic vectors
// (hashed words, so similar texts get similar vectors), optional failures to
// exercise retries, and a record of every request's batch size.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeEmbeddings {
  /** Base URL for OPENAI_BASE_URL (ends with /v1). */
  url: string
  /** Number of texts in each request that was answered, in order. */
  batches: number[]
  /** Statuses answered instead of vectors, in order. */
  failures: number[]
  close(): Promise<void>
}

export async function startFakeEmbeddings(options: { dimension?: number; failFirst?: number[] } = {}): Promise<FakeEmbeddings> {
  const dimension = options.dimension ?? 64
  const pendingFailures = [...(options.failFirst ?? [])]
  const batches: number[] = []
  const failures: number[] = []
  const server = createServer(async (request, response) => {
    let body = ''
    for await (const part of request) body += part
    if (request.method !== 'POST' || !request.url?.endsWith('/embeddings')) {
      response.writeHead(404).end()
      return
    }
    const status = pendingFailures.shift()
    if (status) {
      failures.push(status)
      response.writeHead(status, { 'content-type': 'application/json', 'retry-after-ms': '10' })
      response.end(JSON.stringify({ error: { message: 'try again', type: 'rate_limit' } }))
      return
    }
    const { input, model } = JSON.parse(body) as { input: string | string[]; model: string }
    const texts = Array.isArray(input) ? input : [input]
    batches.push(texts.length)
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(
      JSON.stringify({
        object: 'list',
        model,
        data: texts.map((text, index) => ({ object: 'embedding', index, embedding: embed(text, dimension) })),
        usage: { prompt_tokens: 1, total_tokens: 1 },
      }),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    batches,
    failures,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

function embed(text: string, dimension: number): number[] {
  const vector = new Array<number>(dimension).fill(0)
  for (const word of text.toLowerCase().match(/[a-z0-9äöüß]+/g) ?? []) {
    let hash = 7
    for (const char of word) hash = (hash * 31 + char.charCodeAt(0)) >>> 0
    vector[hash % dimension] += 1
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1
  return vector.map((value) => value / norm)
}
