// EMBEDDING_MODEL picks the embedder: `local`, or any OpenAI-compatible model name.
import type { Embedder } from './types.ts'
import { createLocalEmbedder } from './local.ts'
import { createOpenAIEmbedder } from './openai.ts'

export type { Embedder, TermStats } from './types.ts'

export interface EmbedderSettings {
  embeddingModel: string
  openaiApiKey?: string
  openaiBaseUrl?: string
}

export function createEmbedder(config: EmbedderSettings): Embedder {
  if (config.embeddingModel === 'local') return createLocalEmbedder()
  return createOpenAIEmbedder({ model: config.embeddingModel, apiKey: config.openaiApiKey, baseURL: config.openaiBaseUrl })
}
