// POST /user_message with Accept: text/event-stream: the turn's ChatEvents as
// server-sent events, `event: <type>` with the Socket.IO payload as JSON data.
import type { FastifyBaseLogger, FastifyReply } from 'fastify'
import type { ChatEvent, ChatService, IncomingMessage } from '../chat-service.ts'
import { socketError } from '../errors.ts'
import { sseEvent, streamTurn } from './event-stream.ts'

export function streamUserMessage(chat: ChatService, incoming: IncomingMessage, reply: FastifyReply, log: FastifyBaseLogger, keepAliveMs: number) {
  return streamTurn(reply, keepAliveMs, {
    run: async (write) => {
      await chat.handleMessage(incoming, ({ type, ...payload }: ChatEvent) => write(sseEvent(type, payload), type === 'final_message'))
    },
    lateError: (error) => sseEvent('error', socketError(error, log, 'sse')),
  })
}
