// The OpenAI-compatible API under /v1, so OpenAI SDKs and chat UIs (Open WebUI,
// LibreChat) can talk to Jelly as to a model named "jelly". Every turn goes
// through the one message path with transport 'openai'.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { AppServices } from '../services.ts'
import { createMessageValidator, strictValidatorCompiler } from '../message-input.ts'
import type { ChatEvent } from '../chat-service.ts'
import { streamTurn, sseData } from '../transports/event-stream.ts'
import {
  MODEL_ID,
  OpenAiError,
  bearerToken,
  completionId,
  conversationToken,
  estimateUsage,
  lastUserMessage,
  toOpenAiError,
  type ChatCompletionRequest,
} from '../openai-compat.ts'

// Clients send the whole conversation every time; Jelly reads only its last message, but must accept long ones.
const COMPLETION_BODY_LIMIT = 4 * 1024 * 1024

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { message: { type: 'string' }, type: { type: 'string' }, code: { type: 'string', nullable: true }, param: { type: 'string', nullable: true } },
      required: ['message', 'type', 'code', 'param'],
    },
  },
  required: ['error'],
} as const

const modelSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, object: { type: 'string', enum: ['model'] }, created: { type: 'integer' }, owned_by: { type: 'string' } },
  required: ['id', 'object', 'created', 'owned_by'],
} as const

const usageSchema = {
  type: 'object',
  description: 'Estimated at 4 characters per token, for the last user message and the answer.',
  properties: { prompt_tokens: { type: 'integer' }, completion_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } },
  required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
} as const

const completionSchema = {
  type: 'object',
  description:
    'application/json: a chat.completion. With "stream": true: a text/event-stream of `data: <chat.completion.chunk>` lines ending with `data: [DONE]`; a chunk announcing a tool has an empty delta and `jelly: {"tool_start": "<line>"}`, the finishing chunk `jelly: {"message_id": N}`, and with `stream_options.include_usage` a last chunk with empty `choices` carries `usage`.',
  properties: {
    id: { type: 'string' },
    object: { type: 'string', enum: ['chat.completion'] },
    created: { type: 'integer' },
    model: { type: 'string' },
    choices: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          message: {
            type: 'object',
            properties: { role: { type: 'string', enum: ['assistant'] }, content: { type: 'string' }, refusal: { type: 'string', nullable: true } },
            required: ['role', 'content', 'refusal'],
          },
          logprobs: { type: 'object', nullable: true },
          finish_reason: { type: 'string' },
        },
        required: ['index', 'message', 'logprobs', 'finish_reason'],
      },
    },
    usage: usageSchema,
    jelly: {
      type: 'object',
      description: "Jelly's additions: the id of the stored answer (as in /history).",
      properties: { message_id: { type: 'integer' } },
      required: ['message_id'],
    },
  },
  required: ['id', 'object', 'created', 'model', 'choices', 'usage'],
} as const

const messageSchema = {
  type: 'object',
  properties: {
    role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool', 'function'] },
    // null for an assistant message that only called tools.
    content: {
      anyOf: [
        { type: 'string', nullable: true },
        { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, text: { type: 'string' } }, required: ['type'] } },
      ],
    },
    name: { type: 'string' },
  },
  required: ['role'],
}

const requestSchema = {
  type: 'object',
  description:
    'OpenAI chat-completions request. Only the last message (role user) is the turn: Jelly keeps the conversation itself. Sampling options (temperature, tools, n, …) are accepted and ignored.',
  properties: {
    model: { type: 'string', minLength: 1, description: '"jelly"' },
    messages: { type: 'array', minItems: 1, items: messageSchema },
    stream: { type: 'boolean', nullable: true },
    stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } }, nullable: true },
    user: { type: 'string', maxLength: 200, description: 'Whose conversation this is (else the X-Jelly-User header, else one derived from the API key)' },
  },
  required: ['model', 'messages'],
}

const errorResponses = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 429: errorSchema, 500: errorSchema, 503: errorSchema }

// Route schemas, with the summary and tags the OpenAPI document shows.
const schemas = {
  models: {
    summary: 'The models this server offers: jelly',
    tags: ['openai'],
    response: {
      200: { type: 'object', properties: { object: { type: 'string', enum: ['list'] }, data: { type: 'array', items: modelSchema } }, required: ['object', 'data'] },
      401: errorSchema,
    },
  },
  model: {
    summary: 'One model (only jelly exists)',
    tags: ['openai'],
    params: { type: 'object', properties: { model: { type: 'string' } }, required: ['model'] },
    response: { 200: modelSchema, 401: errorSchema, 404: errorSchema },
  },
  completions: {
    summary: 'Chat with Jelly, OpenAI-style (plain or streamed)',
    tags: ['openai'],
    body: requestSchema,
    response: { 200: completionSchema, ...errorResponses },
  },
}

export const openaiRoutes: FastifyPluginAsync<AppServices> = async (app, { chat, config }) => {
  const validateTurn = createMessageValidator(config.maxMessageChars)
  const keyDigests = config.apiKeys.map(digest)
  const created = Math.floor(Date.now() / 1000)
  const model = { id: MODEL_ID, object: 'model' as const, created, owned_by: 'jellychat' }

  app.setErrorHandler((error, request, reply) => {
    const { status, body, retryAfter } = toOpenAiError(error, request.log)
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter))
    return reply.code(status).send(body)
  })
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(toOpenAiError(new OpenAiError(404, `Unknown request URL: ${request.method} ${request.url}`), request.log).body),
  )

  // API_KEYS set: every /v1 request needs one of them, compared in constant time.
  app.addHook('onRequest', async (request) => {
    if (!keyDigests.length) return
    const given = digest(bearerToken(request.headers.authorization) ?? '')
    let ok = false
    for (const key of keyDigests) ok = timingSafeEqual(given, key) || ok
    if (!ok) throw new OpenAiError(401, 'Incorrect API key provided. Send Authorization: Bearer <one of API_KEYS>.', null, 'invalid_api_key')
  })

  app.get('/models', {
    schema: schemas.models,
    handler: async () => ({ object: 'list', data: [model] }),
  })

  app.get<{ Params: { model: string } }>('/models/:model', {
    schema: schemas.model,
    handler: async (request) => {
      if (request.params.model !== MODEL_ID) throw modelNotFound(request.params.model)
      return model
    },
  })

  app.post<{ Body: ChatCompletionRequest }>('/chat/completions', {
    bodyLimit: COMPLETION_BODY_LIMIT,
    validatorCompiler: strictValidatorCompiler,
    schema: schemas.completions,
    handler: async (request, reply) => {
      const body = request.body
      if (body.model !== MODEL_ID) throw modelNotFound(body.model)
      const message = lastUserMessage(body)
      const userToken = conversationToken(body.user, header(request, 'x-jelly-user'), bearerToken(request.headers.authorization))
      // The same checks and words as every other transport.
      const application = header(request, 'x-jelly-application')
      const checked = validateTurn({ user_token: userToken, message, ...(application ? { application } : {}) })
      if ('error' in checked)
        throw new OpenAiError(400, checked.error.replace(/^message\b/, 'the last user message').replace(/^user_token\b/, 'user'), paramOf(checked.error))
      const incoming = { userToken, message, application: application ?? null, transport: 'openai' as const, ip: request.clientIp }
      const id = completionId()
      const created = Math.floor(Date.now() / 1000)

      if (!body.stream) {
        const turn = await chat.handleMessage(incoming, () => undefined)
        return {
          id,
          object: 'chat.completion',
          created,
          model: MODEL_ID,
          choices: [{ index: 0, message: { role: 'assistant', content: turn.answer, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: estimateUsage(message, turn.answer),
          jelly: { message_id: turn.messageId },
        }
      }
      return streamCompletion(reply, request, {
        id,
        created,
        message,
        includeUsage: body.stream_options?.include_usage === true,
        run: (emit) => chat.handleMessage(incoming, emit),
      })
    },
  })

  function streamCompletion(
    reply: FastifyReply,
    request: FastifyRequest,
    turn: { id: string; created: number; message: string; includeUsage: boolean; run(emit: (event: ChatEvent) => void): Promise<unknown> },
  ) {
    const usageField = turn.includeUsage ? { usage: null } : {}
    const chunk = (delta: object, finishReason: string | null = null, jelly?: object) =>
      sseData({
        id: turn.id,
        object: 'chat.completion.chunk',
        created: turn.created,
        model: MODEL_ID,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        ...usageField,
        ...(jelly ? { jelly } : {}),
      })
    return streamTurn(reply, config.sseKeepAliveMs, {
      end: 'data: [DONE]\n\n',
      run: async (write) => {
        let begun = false
        const begin = () => {
          if (!begun) write(chunk({ role: 'assistant', content: '' }))
          begun = true
        }
        await turn.run((event) => {
          if (event.type === 'error') return
          begin()
          if (event.type === 'tool_start') write(chunk({}, null, { tool_start: event.tool_name }))
          else if (event.type === 'final_answer_token') write(chunk({ content: event.token }))
          else {
            write(chunk({}, 'stop', { message_id: event.message_id }), true)
            if (turn.includeUsage) {
              const usage = estimateUsage(turn.message, event.message)
              write(sseData({ id: turn.id, object: 'chat.completion.chunk', created: turn.created, model: MODEL_ID, choices: [], usage }))
            }
          }
        })
      },
      // OpenAI's way to fail mid-stream: a data line with an error object (SDKs raise it).
      lateError: (error) => sseData(toOpenAiError(error, request.log).body),
    })
  }
}

function paramOf(error: string): string {
  if (error.startsWith('user_token')) return 'user'
  if (error.startsWith('application')) return 'X-Jelly-Application'
  return 'messages'
}

function modelNotFound(name: string): OpenAiError {
  return new OpenAiError(404, `The model \`${name}\` does not exist. This server offers the model \`${MODEL_ID}\`.`, 'model', 'model_not_found')
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return typeof value === 'string' && value.trim() ? value.trim() : undefined
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
