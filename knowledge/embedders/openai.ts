// OpenAI-compatible embeddings (OpenAI, Azure proxies, Ollama, vLLM, ...):
// batched; the SDK retries 408/409/429/5xx with exponential backoff.
import type { Embedder } from './types.ts'
import { KnowledgeError } from '../types.ts'

const BATCH_SIZE = 96
const MAX_RETRIES = 5

export interface OpenAIEmbedderOptions {
  model: string
  apiKey: string | undefined
  baseURL: string | undefined
  timeoutMs?: number
}

export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  // The SDK loads on the first embedding, not with the server (which, with the local embedder, never needs it).
  let client: Promise<import('openai').OpenAI> | undefined
  const openai = () =>
    (client ??= import('openai').then(
      ({ OpenAI }) => new OpenAI({ apiKey: options.apiKey ?? 'not-needed', baseURL: options.baseURL, maxRetries: MAX_RETRIES, timeout: options.timeoutMs ?? 60_000 }),
    ))
  const embedder: Embedder = {
    name: `openai:${options.model}`,
    dimension: undefined,
    async embedDocuments(texts, signal) {
      const vectors: number[][] = []
      for (let start = 0; start < texts.length; start += BATCH_SIZE) {
        vectors.push(...(await embedBatch(texts.slice(start, start + BATCH_SIZE), signal)))
      }
      return vectors
    },
    async embedQuery(text, _stats, signal) {
      const [vector] = await embedBatch([text], signal)
      return vector
    },
  }

  async function embedBatch(input: string[], signal?: AbortSignal): Promise<number[][]> {
    let response
    try {
      response = await (await openai()).embeddings.create({ model: options.model, input, encoding_format: 'float' }, { signal })
    } catch (error) {
      const status = (error as { status?: number }).status
      throw new KnowledgeError(`The embeddings service failed${status ? ` with status ${status}` : ''} for model ${options.model}: ${(error as Error).message}`)
    }
    const vectors = [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding)
    if (vectors.length !== input.length) throw new KnowledgeError(`The embeddings service returned ${vectors.length} vectors for ${input.length} texts.`)
    embedder.dimension ??= vectors[0]?.length
    return vectors
  }

  return embedder
}
