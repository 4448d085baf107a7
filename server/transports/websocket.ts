// A plain WebSocket at /ws: JSON frames in, the same four events out as frames.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { TransportServices } from '../services.ts'
import { createMessageValidator, invalidUtf8Error } from '../message-input.ts'
import { allowedOrigins, originAllowed, ORIGIN_REFUSED_MESSAGE } from '../origin.ts'
import type { ChatEvent } from '../chat-service.ts'
import { socketError } from '../errors.ts'

export const websocketRoute: FastifyPluginAsync<TransportServices> = async (app, { config, chat, socketLimit, metrics }) => {
  const validate = createMessageValidator(config.maxMessageChars)

  const origins = allowedOrigins(config.corsOrigin)
  // Refusing in a hook refuses the handshake: the browser sees a failed upgrade.
  const checkOrigin = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!originAllowed(origins, request.raw)) return reply.code(403).send({ error: ORIGIN_REFUSED_MESSAGE })
  }
  const schema = {
    summary: 'Plain WebSocket chat',
    description: 'Upgrade to a WebSocket; frames are described in the document description (Plain WebSocket at /ws).',
    tags: ['chat'],
    response: {
      101: { description: 'Switching Protocols: the WebSocket is open', type: 'null' },
      '4xx': { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] },
    },
  }

  app.get('/ws', { websocket: true, preValidation: checkOrigin, schema }, (socket, request) => {
    // Proxies close quiet connections (Fly after 60 s): a ping keeps them, and a
    // peer that missed the previous one's pong is gone.
    let alive = true
    socket.on('pong', () => (alive = true))
    const pinger = setInterval(() => {
      if (!alive) return socket.terminate()
      alive = false
      socket.ping()
    }, config.wsPingIntervalMs)
    socket.on('close', () => clearInterval(pinger))
    const send = (event: ChatEvent | ({ type: 'error' } & ReturnType<typeof socketError>)) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(event))
    }
    const ip = request.clientIp
    if (!socketLimit.tryOpen(ip)) {
      metrics.refused('sockets_per_ip', 'websocket')
      send({ type: 'error', error: socketLimit.refusal })
      // 1013: try again later.
      return socket.close(1013, 'too many connections from this address')
    }
    metrics.socketOpened('websocket')
    socket.once('close', () => {
      socketLimit.close(ip)
      metrics.socketClosed('websocket')
    })
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
        ip,
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
