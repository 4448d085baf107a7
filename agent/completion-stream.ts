// Reads a streamed chat completion's server-sent events, one callback per chunk.
// The SDK's own stream nests several async iterators per event; parsing each
// network read synchronously cost half the CPU per call (measured: ~0.8 against
// ~0.4 ms for a 65-piece answer), and a turn makes two calls.
import { APIError } from 'openai'
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import { createParser } from 'eventsource-parser'

/** Calls `onChunk` for every chunk until `[DONE]` or the end; rejects with the signal's reason once it aborts. */
export async function readCompletionStream(response: Response, signal: AbortSignal, onChunk: (chunk: ChatCompletionChunk) => void): Promise<void> {
  if (!response.body) throw new APIError(response.status, undefined, 'the provider sent a stream without a body', response.headers)
  let done = false
  const parser = createParser({
    onEvent({ event, data }) {
      if (done) return
      if (data.startsWith('[DONE]')) {
        done = true
        return
      }
      const parsed = JSON.parse(data)
      // What the SDK's stream does with an error sent in the stream itself.
      if (event === 'error' || parsed?.error) throw new APIError(undefined, parsed.error, parsed.message, response.headers)
      onChunk(parsed)
    },
  })
  // Read to the end even after [DONE], as the SDK does: cancelling costs undici an abort (a DOMException with its stack).
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) parser.feed(decoder.decode(read.value, { stream: true }))
  } catch (error) {
    // An error event or bad JSON leaves the rest unread: free the connection.
    void reader.cancel().catch(() => undefined)
    // The SDK aborts the body with a plain AbortError; the reason says whether our deadline fired.
    throw signal.aborted ? signal.reason : error
  } finally {
    reader.releaseLock()
  }
}
