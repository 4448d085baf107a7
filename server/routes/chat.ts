import type { FastifyPluginAsync } from 'fastify'
import type { AppServices } from '../services.ts'
import { HISTORY_PAGE } from '../chat-service.ts'
import { strictValidatorCompiler, userMessageSchema, type UserMessage } from '../message-input.ts'
import { acceptsEventStream } from '../transports/event-stream.ts'
import { streamUserMessage } from '../transports/sse.ts'

const errorReply = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const

const historyEntry = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    message_type: { type: 'string', enum: ['human', 'jelly', 'tool'] },
    content: { type: 'string' },
    timestamp: { type: 'string' },
    application: { type: ['string', 'null'] },
  },
  required: ['id', 'message_type', 'content', 'timestamp', 'application'],
} as const

export const chatRoutes: FastifyPluginAsync<AppServices> = async (app, { chat, config }) => {
  app.post<{ Body: UserMessage }>('/user_message', {
    validatorCompiler: strictValidatorCompiler,
    schema: {
      summary: 'Send a message to Jelly',
      description:
        'Runs one turn and answers once it is stored. 429 (with Retry-After) when a rate limit or the per-user queue refuses the message; 503 (with Retry-After) when the instance is overloaded or restarting. Nothing is stored for a refused message.',
      tags: ['chat'],
      body: userMessageSchema(config.maxMessageChars),
      response: {
        200: {
          description:
            'application/json: the stored answer. With `Accept: text/event-stream`: a text/event-stream of `tool_start`, `final_answer_token`, `final_message` and `error` events (JSON data as on Socket.IO), ending after `final_message` or `error`.',
          type: 'object',
          properties: { response: { type: 'string' }, message_id: { type: 'integer' } },
          required: ['response', 'message_id'],
        },
        400: { description: 'Bad input, naming the field', ...errorReply },
        429: { description: 'Refused by a limit; Retry-After says when to try again', ...errorReply },
        503: { description: 'Overloaded or restarting; Retry-After says when to try again', ...errorReply },
        '4xx': errorReply,
        '5xx': errorReply,
      },
    },
    handler: async (request, reply) => {
      const { user_token, message, application, client_message_id } = request.body
      const incoming = { userToken: user_token, message, application: application ?? null, ip: request.clientIp, clientMessageId: client_message_id }
      if (acceptsEventStream(request.headers.accept)) {
        return streamUserMessage(chat, { ...incoming, transport: 'sse' }, reply, request.log, config.sseKeepAliveMs)
      }
      // Plain REST has no stream: the answer is returned once the turn is stored.
      const turn = await chat.handleMessage({ ...incoming, transport: 'rest' }, () => undefined)
      return { response: turn.answer, message_id: turn.messageId }
    },
  })

  app.post<{ Body: { user_token: string; limit?: number | null; before?: number | null } }>('/history', {
    validatorCompiler: strictValidatorCompiler,
    schema: {
      summary: "A user's messages, oldest first",
      tags: ['chat'],
      body: {
        type: 'object',
        description: `The user's messages, oldest first: the last \`limit\` (default ${HISTORY_PAGE.default}) before message id \`before\` (default: the newest). For the page before, send \`before\` = the first id of this one. Reading stores nothing; a token that never sent a message gets Jelly's greeting (id 0).`,
        properties: {
          user_token: userMessageSchema(config.maxMessageChars).properties.user_token,
          limit: { type: ['integer', 'null'], minimum: 1, maximum: HISTORY_PAGE.max, default: HISTORY_PAGE.default },
          before: { type: ['integer', 'null'], minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
        },
        required: ['user_token'],
      },
      response: { 200: { type: 'array', items: historyEntry }, '4xx': errorReply, '5xx': errorReply },
    },
    handler: async (request) => {
      const { user_token, limit, before } = request.body
      return chat.history(user_token, { limit: limit ?? undefined, before: before ?? undefined })
    },
  })
}
