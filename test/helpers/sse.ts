// A small server-sent events reader over fetch, for tests of the streaming
// endpoints: yields each event (name and raw data) and each comment line.
export interface SseMessage {
  /** `event:` name, "message" when absent; "comment" for a `:` line. */
  event: string
  data: string
}

export async function* readSse(response: Response): AsyncGenerator<SseMessage> {
  if (!response.body) return
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let event = 'message'
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) yield { event: 'comment', data: line.slice(1).trim() }
        else if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
      }
      if (data.length) yield { event, data: data.join('\n') }
    }
  }
}

/** POSTs JSON with the given extra headers and returns the raw fetch Response. */
export function postStream(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers }, body: JSON.stringify(body), signal })
}
