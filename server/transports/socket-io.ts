// Socket.IO on the same port. Accepts `user_message` as an object or as
// positional (user_token, message, application), with an optional ack.
import { Server } from 'socket.io'
import type { FastifyInstance } from 'fastify'
import type { TransportServices } from '../services.ts'
import { createMessageValidator, maxFrameBytes } from '../message-input.ts'
import { allowedOrigins, originAllowed, ORIGIN_REFUSED_MESSAGE } from '../origin.ts'
import type { ChatEvent } from '../chat-service.ts'
import { socketError } from '../errors.ts'
import { createClientIp } from '../client-ip.ts'

type Ack = (reply: { response: string; message_id: number } | { error: string }) => void

export function attachSocketIo(app: FastifyInstance, { config, chat, socketLimit, metrics }: TransportServices): void {
  const validate = createMessageValidator(config.maxMessageChars)
  const clientIp = createClientIp(config.trustProxy)
  const origins = allowedOrigins(config.corsOrigin)
  const io = new Server(app.server, {
    cors: { origin: origins },
    // Every handshake, polling or websocket: CORS alone does not stop a page on
    // another site from opening a websocket, or from posting to the polling transport.
    allowRequest: (request, callback) => {
      const allowed = originAllowed(origins, request)
      callback(allowed ? null : ORIGIN_REFUSED_MESSAGE, allowed)
    },
    maxHttpBufferSize: maxFrameBytes(config.maxMessageChars),
  })

  // Refused connections get connect_error with the reason in words.
  io.use((socket, next) => {
    const ip = clientIp(socket.handshake.headers, socket.conn.remoteAddress)
    if (!socketLimit.tryOpen(ip)) {
      metrics.refused('sockets_per_ip', 'socket.io')
      return next(new Error(socketLimit.refusal))
    }
    socket.data.ip = ip
    metrics.socketOpened('socket.io')
    socket.once('disconnect', () => {
      socketLimit.close(ip)
      metrics.socketClosed('socket.io')
    })
    next()
  })

  io.on('connection', (socket) => {
    const ip = socket.data.ip as string
    socket.on('user_message', (...args: unknown[]) => {
      const ack = typeof args.at(-1) === 'function' ? (args.pop() as Ack) : undefined
      // An object first is the object form, whatever follows it; otherwise (user_token, message, application).
      const input = typeof args[0] === 'object' ? args[0] : { user_token: args[0], message: args[1], application: args[2] ?? undefined }
      const checked = validate(input)
      if ('error' in checked) {
        socket.emit('error', { error: checked.error })
        ack?.({ error: checked.error })
        return
      }
      const { user_token, message, application, client_message_id } = checked.value
      const emit = ({ type, ...payload }: ChatEvent) => void socket.emit(type, payload)
      const incoming = {
        userToken: user_token,
        message,
        application: application ?? null,
        transport: 'socket.io' as const,
        ip,
        clientMessageId: client_message_id,
      }
      chat.handleMessage(incoming, emit).then(
        (reply) => ack?.({ response: reply.answer, message_id: reply.messageId }),
        (error: unknown) => {
          const payload = socketError(error, app.log, 'socket.io')
          socket.emit('error', payload)
          ack?.(payload)
        },
      )
    })
  })

  // Before Fastify closes the HTTP server, which would wait for these connections forever.
  // Disconnecting first lets packets still queued (a final_message just sent, which a
  // polling client fetches with its next request) go out; the engine then drops the rest.
  app.addHook('preClose', async () => {
    io.disconnectSockets(true)
    const flushBy = Date.now() + FLUSH_ON_CLOSE_MS
    while (io.engine.clientsCount > 0 && Date.now() < flushBy) await new Promise((resolve) => setTimeout(resolve, 10))
    io.engine.close()
  })
}

const FLUSH_ON_CLOSE_MS = 200
