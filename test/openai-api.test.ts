// The OpenAI-compatible API against the listening app, with the official
// `openai` package as the client: models, completions with and without
// streaming, tool progress on chunks, usage, errors in OpenAI's shape, API keys,
// and a conversation sent whole each time stored only once.
import { createHash } from 'node:crypto'
import t from 'tap'
import OpenAI from 'openai'
import { listenTestApp } from './helpers/app.ts'
import { postJson } from './helpers/client.ts'
import { getJson } from './helpers/chat.ts'
import { postStream, readSse } from './helpers/sse.ts'
import { toOpenAiError } from '../server/openai-compat.ts'

const QUESTION = 'What is 20000 divided by 33.3?'
const TOOL_LINE = "Let's do the math together 🧮"

const client = (url: string, apiKey = 'unused') => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 })
const history = async (url: string, user: string) => (await postJson(`${url}/history`, { user_token: user })).body as any[]

t.test('open /v1 (no API_KEYS)', async (t) => {
  const server = await listenTestApp(t, { SSE_KEEPALIVE_MS: '50' })
  const openai = client(server.url)

  t.test('models', async (t) => {
    const models = await openai.models.list()
    t.same(
      models.data.map((m) => [m.id, m.object]),
      [['jelly', 'model']],
    )
    t.equal((await openai.models.retrieve('jelly')).id, 'jelly')
    const error = await openai.models.retrieve('gpt-4o').catch((e) => e)
    t.type(error, OpenAI.NotFoundError)
    t.equal(error.code, 'model_not_found')
  })

  t.test('a completion, not streamed', async (t) => {
    const completion = await openai.chat.completions.create({ model: 'jelly', user: 'oa-plain', messages: [{ role: 'user', content: QUESTION }] })
    t.equal(completion.object, 'chat.completion')
    t.equal(completion.model, 'jelly')
    t.match(completion.id, /^chatcmpl-/)
    t.equal(completion.choices.length, 1)
    t.equal(completion.choices[0].finish_reason, 'stop')
    t.equal(completion.choices[0].message.role, 'assistant')
    t.match(completion.choices[0].message.content, /600\.6/)
    t.ok(completion.usage!.prompt_tokens > 0 && completion.usage!.completion_tokens > 0)
    t.equal(completion.usage!.total_tokens, completion.usage!.prompt_tokens + completion.usage!.completion_tokens)
    const rows = await history(server.url, 'oa-plain')
    t.same(
      rows.slice(1).map((r) => [r.message_type, r.content]),
      [
        ['human', QUESTION],
        ['tool', TOOL_LINE],
        ['jelly', completion.choices[0].message.content],
      ],
    )
    t.equal((completion as any).jelly.message_id, rows.at(-1).id, 'jelly.message_id is the stored answer')
    t.ok(
      server.logs.some((line) => line.msg === 'turn' && line.transport === 'openai'),
      'the turn log names the openai transport',
    )
  })

  t.test('a streamed completion with tool progress and usage', async (t) => {
    const stream = await openai.chat.completions.create({
      model: 'jelly',
      user: 'oa-stream',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: QUESTION }],
    })
    const chunks: OpenAI.ChatCompletionChunk[] = []
    for await (const chunk of stream) chunks.push(chunk)
    t.ok(
      chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'jelly' && c.id === chunks[0].id),
      'one id, chat.completion.chunk objects',
    )
    t.equal(chunks[0].choices[0].delta.role, 'assistant', 'the first chunk names the role')
    const toolChunks = chunks.filter((c: any) => c.jelly?.tool_start)
    t.same(
      toolChunks.map((c: any) => c.jelly.tool_start),
      [TOOL_LINE],
      'tool progress in the jelly field',
    )
    t.same(toolChunks[0].choices[0].delta, {}, 'with an empty delta, so other clients see nothing')
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
    t.match(text, /600\.6/)
    t.ok(chunks.filter((c) => c.choices[0]?.delta.content).length > 1, 'the answer comes in several chunks')
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason)
    t.equal(finish.length, 1)
    t.equal(finish[0].choices[0].finish_reason, 'stop')
    const last = chunks.at(-1)!
    t.same(last.choices, [], 'the usage chunk has no choices')
    t.equal(last.usage!.total_tokens, last.usage!.prompt_tokens + last.usage!.completion_tokens)
    t.ok(last.usage!.completion_tokens > 0)
    t.ok(
      chunks.slice(0, -1).every((c) => c.usage === null),
      'other chunks carry usage: null',
    )
    const rows = await history(server.url, 'oa-stream')
    t.equal(rows.at(-1).content, text, 'the streamed text is the stored answer')
  })

  t.test('the raw stream ends with data: [DONE]; no usage chunk unless asked', async (t) => {
    const response = await postStream(`${server.url}/v1/chat/completions`, {
      model: 'jelly',
      user: 'oa-raw',
      stream: true,
      messages: [{ role: 'user', content: QUESTION }],
    })
    t.equal(response.status, 200)
    t.match(response.headers.get('content-type'), /^text\/event-stream/)
    const data = []
    for await (const message of readSse(response)) if (message.event === 'message') data.push(message.data)
    t.equal(data.at(-1), '[DONE]')
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d))
    t.ok(
      chunks.every((c) => !('usage' in c)),
      'no usage fields',
    )
    t.equal(chunks.at(-1).choices[0].finish_reason, 'stop')
  })

  t.test('a conversation sent whole every time is stored once', async (t) => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are a helpful assistant.' },
      // A long conversation: far more than one message may hold, all of it sent again every time.
      ...Array.from({ length: 40 }, (_, i): OpenAI.ChatCompletionMessageParam => ({ role: i % 2 ? 'assistant' : 'user', content: `earlier turn ${i} `.repeat(300) })),
      { role: 'user', content: 'What is 2 + 2?' },
    ]
    const first = await openai.chat.completions.create({ model: 'jelly', user: 'oa-multi', messages })
    messages.push({ role: 'assistant', content: first.choices[0].message.content }, { role: 'user', content: [{ type: 'text', text: 'What is 3 times 7?' }] })
    const second = await openai.chat.completions.create({ model: 'jelly', user: 'oa-multi', messages, stream: true })
    let text = ''
    for await (const chunk of second) text += chunk.choices[0]?.delta.content ?? ''
    t.match(text, /21/)
    const rows = await history(server.url, 'oa-multi')
    t.same(
      rows.filter((r) => r.message_type === 'human').map((r) => r.content),
      ['What is 2 + 2?', 'What is 3 times 7?'],
      'each user message once; the system prompt and the echoed answer are not stored',
    )
    t.equal(rows.filter((r) => r.message_type === 'jelly').length, 3, 'greeting and two answers')
  })

  t.test('the X-Jelly-User header names the user when the body does not, X-Jelly-Application the application', async (t) => {
    const completion = await openai.chat.completions.create(
      { model: 'jelly', messages: [{ role: 'user', content: QUESTION }] },
      { headers: { 'X-Jelly-User': 'oa-header', 'X-Jelly-Application': 'my-bot' } },
    )
    const rows = await history(server.url, 'oa-header')
    t.equal(rows.at(-1).content, completion.choices[0].message.content)
    t.same(
      rows.slice(1).map((r) => r.application),
      ['my-bot', 'my-bot', 'my-bot'],
      'X-Jelly-Application is the stored application',
    )
  })

  t.test('bad requests: OpenAI error shape and status, nothing stored', async (t) => {
    const cases: [string, any, string | null][] = [
      [
        "the last message is not the user's",
        {
          model: 'jelly',
          user: 'oa-bad',
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'assistant', content: 'yo' },
          ],
        },
        'messages',
      ],
      ['an empty message', { model: 'jelly', user: 'oa-bad', messages: [{ role: 'user', content: '  ' }] }, 'messages'],
      ['no messages', { model: 'jelly', user: 'oa-bad', messages: [] }, 'messages'],
      ['a message without a role', { model: 'jelly', user: 'oa-bad', messages: [{ content: 'hi' }] }, 'messages[0].role'],
      ['no user at all', { model: 'jelly', messages: [{ role: 'user', content: 'hi' }] }, 'user'],
    ]
    // No key: the SDK would send "Bearer unused", which is a key Jelly could derive a user from.
    const keyless = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: '', maxRetries: 0, defaultHeaders: { authorization: null } })
    for (const [what, body, param] of cases) {
      const error = await keyless.chat.completions.create(body).catch((e) => e)
      t.type(error, OpenAI.BadRequestError, what)
      t.equal(error.status, 400, what)
      t.equal(error.type, 'invalid_request_error', what)
      t.equal(error.param, param, `${what}: param ${param}`)
      t.match(error.error.message, /\S/, `${what}: a message`)
      // A field inside the list is named by its path, as REST names its fields.
      if (param === 'messages[0].role') t.equal(error.error.message, 'messages.0.role is required')
      if (what === 'no messages') t.equal(error.error.message, 'messages must have at least 1 item')
    }
    const wrongModel = await openai.chat.completions.create({ model: 'gpt-4o', user: 'oa-bad', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e)
    t.type(wrongModel, OpenAI.NotFoundError)
    t.equal(wrongModel.code, 'model_not_found')
    t.equal(wrongModel.param, 'model')
    t.same(
      (await history(server.url, 'oa-bad')).map((r) => r.message_type),
      ['jelly'],
      'only the greeting',
    )
    const unknown = await getJson(`${server.url}/v1/embeddings`)
    t.equal(unknown.status, 404)
    t.match(unknown.body, { error: { type: 'invalid_request_error', code: 'not_found' } })
  })

  // A turn stuck on an unreachable Ocean keeps the server draining, still listening, while the next request comes in.
  t.test('a request while the server drains gets 503 in OpenAI shape', async (t) => {
    const slowServer = await listenTestApp(t, { OCEAN_URL: 'http://127.0.0.1:9', TOOL_TIMEOUT_MS: '2000', OCEAN_TIMEOUT_MS: '1500' })
    const slowClient = client(slowServer.url)
    const stream = await slowClient.chat.completions.create({
      model: 'jelly',
      user: 'oa-drain',
      stream: true,
      messages: [{ role: 'user', content: "What's the latest block?" }],
    })
    const iterator = stream[Symbol.asyncIterator]()
    await iterator.next()
    const stopping = slowServer.stop()
    const error = await slowClient.chat.completions.create({ model: 'jelly', user: 'oa-late', messages: [{ role: 'user', content: QUESTION }] }).catch((e) => e)
    t.equal(error.status, 503)
    t.equal(error.type, 'server_error')
    t.equal(error.code, 'service_unavailable')
    t.match(error.error.message, /restarting/)
    for (let next = await iterator.next(); !next.done; next = await iterator.next());
    await stopping
  })
})

t.test('API_KEYS protect /v1', async (t) => {
  const server = await listenTestApp(t, { API_KEYS: 'key-one, key-two' })

  t.test('a wrong or missing key is a 401', async (t) => {
    for (const key of ['wrong', 'key-one-and-more', '']) {
      const error = await client(server.url, key)
        .models.list()
        .catch((e) => e)
      t.type(error, OpenAI.AuthenticationError, `key "${key}"`)
      t.equal(error.code, 'invalid_api_key')
    }
    const error = await client(server.url, 'wrong')
      .chat.completions.create({ model: 'jelly', user: 'oa-key', messages: [{ role: 'user', content: QUESTION }] })
      .catch((e) => e)
    t.equal(error.status, 401)
    t.same(
      (await history(server.url, 'oa-key')).map((r) => r.message_type),
      ['jelly'],
      'nothing stored',
    )
  })

  t.test('a right key works, and without `user` the conversation belongs to a hash of the key', async (t) => {
    const completion = await client(server.url, 'key-two').chat.completions.create({ model: 'jelly', messages: [{ role: 'user', content: QUESTION }] })
    t.match(completion.choices[0].message.content, /600\.6/)
    const derived = `key-${createHash('sha256').update('key-two').digest('hex').slice(0, 32)}`
    const rows = await history(server.url, derived)
    t.equal(rows.at(-1).content, completion.choices[0].message.content)
    t.notOk(JSON.stringify(server.logs).includes('key-two'), 'the key never appears in the logs')
  })

  t.test('the rest of the API is not behind API_KEYS', async (t) => {
    t.equal((await getJson(`${server.url}/health`)).status, 200)
  })
})

t.test('errors of the message path map to OpenAI statuses generically', async (t) => {
  const logged: unknown[] = []
  const log = { error: (entry: unknown) => void logged.push(entry) }
  // A refusal as the message path raises it: status and seconds to wait.
  const limited = Object.assign(new Error('Too many messages, wait 7 s'), { status: 429, retryAfterSeconds: 7 })
  t.same(toOpenAiError(limited, log), {
    status: 429,
    body: { error: { message: 'Too many messages, wait 7 s', type: 'requests', code: 'rate_limit_exceeded', param: null } },
    retryAfter: 7,
  })
  // Fastify's convention (e.g. @fastify/rate-limit): statusCode and headers.
  const httpLimited = Object.assign(new Error('Rate limit exceeded'), { statusCode: 429, headers: { 'retry-after': '2.5' } })
  t.match(toOpenAiError(httpLimited, log), { status: 429, retryAfter: 3, body: { error: { code: 'rate_limit_exceeded' } } })
  const overloaded = Object.assign(new Error('Jelly is busy'), { status: 503, retryAfterSeconds: 5 })
  t.match(toOpenAiError(overloaded, log), {
    status: 503,
    retryAfter: 5,
    body: { error: { type: 'server_error', code: 'service_unavailable', message: 'Jelly is busy' } },
  })
  t.same(logged, [], 'refusals are not logged as failures')
  const internal = toOpenAiError(new Error('connection refused at 10.0.0.3:5432'), log)
  t.equal(internal.status, 500)
  t.notMatch(internal.body.error.message, /10\.0\.0\.3/, 'no internals in a 500')
  t.equal(logged.length, 1, 'an unexpected failure is logged once')
})
