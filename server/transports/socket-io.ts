// Socket.IO on the same port. Accepts `user_message` as an object or as
// positional (user_token, message, application), with an optional ack.
import { Server } from 'socket.io'
import type { FastifyInstance } from 'fastify'
import type { AppServices } from '../services.ts'
import { createMessageValidator, maxFrameBytes } from '../message-input.ts'
import type { ChatEvent } from '../chat-service.ts'
import { socketError } from '../errors.ts'

type Ack = (reply: { response: string; message_id: number } | { error: string }) => void

export function attachSocketIo(app: FastifyInstance, { config, chat }: AppServices): void {
  const validate = createMessageValidator(config.maxMessageChars)
  const io = new Server(app.server, {
    cors: { origin: config.corsOrigin === '*' ? true : config.corsOrigin.split(',').map((o) => o.trim()) },
    maxHttpBufferSize: maxFrameBytes(config.maxMessageChars),
  })

  io.on('connection', (socket) => {
    socket.on('user_message', (...args: unknown[]) => {
      const ack = typeof args.at(-1) === 'function' ? (args.pop() as Ack) : undefined
      const input = args.length === 1 && typeof args[0] === 'object' ? args[0] : { user_token: args[0], message: args[1], application: args[2] ?? undefined }
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
        ip: socket.handshake.address,
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
  app.addHook('preClose', (done) => {
    io.disconnectSockets(true)
    io.engine.close()
    done()
  })
}
