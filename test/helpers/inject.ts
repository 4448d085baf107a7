// Requests to an app built with buildTestApp(), through app.inject() (no socket),
// answering like the fetch helpers in chat.ts and client.ts: { status, body }.
import type { FastifyInstance, InjectOptions } from 'fastify'
import type { StoredState } from './chat.ts'

export interface Reply {
  status: number
  body: any
}

export interface Injector {
  get(path: string, headers?: Record<string, string>): Promise<Reply>
  /** A JSON body. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Reply>
  /** A raw body with exactly the given headers (for malformed requests). */
  postRaw(path: string, body: string | undefined, headers: Record<string, string>): Promise<Reply>
  /** What the app has stored for a user, seen through the public API. */
  storedState(userToken: string, adminHeaders?: Record<string, string>): Promise<StoredState>
}

export function injector(app: FastifyInstance): Injector {
  const send = async (options: InjectOptions): Promise<Reply> => {
    const response = await app.inject(options)
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined }
  }
  const get: Injector['get'] = (url, headers = {}) => send({ method: 'GET', url, headers })
  const post: Injector['post'] = (url, body, headers = {}) =>
    send({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) })
  return {
    get,
    post,
    postRaw: (url, body, headers) => send({ method: 'POST', url, headers, ...(body === undefined ? {} : { payload: body }) }),
    async storedState(userToken, adminHeaders = {}) {
      const history = (await post('/history', { user_token: userToken })).body
      const badge = await get('/human_message_count')
      const qa = await get('/messages_answers?limit=500', adminHeaders)
      return { history, humanMessageCount: badge.body.status, messagesAnswers: qa.body }
    },
  }
}
