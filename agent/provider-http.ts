// The provider's HTTP client under the openai SDK (its `fetch` option): undici's
// request() with the answer's body left a Node stream. Node's fetch hands every
// network read through web streams; for a streamed answer that was most of a
// call's CPU (measured against the fake provider, 4-character pieces: ~1.9 against
// ~1.1 ms a call), and a turn makes two calls. The SDK still builds the request,
// applies the signal and turns statuses and connection errors into its errors.
import type { Readable } from 'node:stream'
import { Agent, request, type Dispatcher } from 'undici'

export interface ProviderHttp {
  fetch: typeof fetch
  /** A successful response's body as text, as it arrives. */
  bodyOf(response: Response): Readable
}

export function createProviderHttp(): ProviderHttp {
  const dispatcher = new Agent()
  const bodies = new WeakMap<Response, Readable>()

  // The SDK calls it with the URL as a string and a string body (agent/llm.ts serialises it).
  const providerFetch = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const reply = await request(url, {
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: Object.fromEntries(new Headers(init.headers)),
      body: init.body as string | undefined,
      signal: init.signal ?? undefined,
      dispatcher,
    })
    const headers = new Headers()
    for (const [name, value] of Object.entries(reply.headers)) for (const one of [value ?? []].flat()) headers.append(name, one)
    // An error's body is small and the SDK reads it as text for its message.
    if (reply.statusCode >= 300) return new Response((await reply.body.text()) || null, { status: reply.statusCode, headers })
    const response = new Response(null, { status: reply.statusCode, headers })
    reply.body.setEncoding('utf8')
    bodies.set(response, reply.body)
    return response
  }

  const bodyOf = (response: Response) => {
    const body = bodies.get(response)
    // Only an SDK client built without this fetch could hand over another response.
    if (!body) throw new Error('a response the provider client did not make')
    return body
  }

  return { fetch: providerFetch as typeof fetch, bodyOf }
}
