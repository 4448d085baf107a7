// A plain WebSocket at /ws: JSON frames in, the same four events out as frames.
import type { FastifyPluginAsync } from 'fastify'
import type { AppServices } from '../services.ts'
import { createMessageValidator, invalidUtf8Error } from '../message-input.ts'
import type { ChatEvent } from '../chat-service.ts'
import { socketError } from '../errors.ts'

export const websocketRoute: FastifyPluginAsync<AppServices> = async (app, { config, chat }) => {
  const validate = createMessageValidator(config.maxMessageChars)

  app.get('/ws', { websocket: true }, (socket, request) => {
    const send = (event: ChatEvent) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(event))
    }
    socket.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)])
      const invalid = isBinary ? undefined : invalidUtf8Error(bytes, 'frame')
      if (invalid) return send({ type: 'error', error: invalid })
      const frame = isBinary ? undefined : parseJson(bytes.toString('utf8'))
      if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
        return send({ type: 'error', error: 'frame must be a JSON object like {"type":"user_message","user_token":"...","message":"..."}' })
      }
      const { type, ...body } = frame as Record<string, unknown>
      if (type !== 'user_message') return send({ type: 'error', error: `unknown frame type ${JSON.stringify(type ?? null)}; expected "user_message"` })
      const checked = validate(body)
      if ('error' in checked) return send({ type: 'error', error: checked.error })
      const { user_token, message, application, client_message_id } = checked.value
      const incoming = {
        userToken: user_token,
        message,
        application: application ?? null,
        transport: 'websocket' as const,
        ip: request.ip,
        clientMessageId: client_message_id,
      }
      chat.handleMessage(incoming, send).catch((error: unknown) => {
        send({ type: 'error', ...socketError(error, app.log, 'websocket') })
      })
    })
  })
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
