// GET /metrics: Prometheus text, admin-only when ADMIN_TOKEN is set, and the
// counters move with real turns on each transport.
import t from 'tap'
import { buildTestApp, listenTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'
import { connectSocketIo, connectWs, postJson, socketIoTurn, wsTurn } from './helpers/client.ts'
import { startFakeOpenAI } from './fakes/openai.ts'
import { eventually } from './helpers/chat.ts'

const ADMIN_TOKEN = 'metrics-admin-token-0123456789'
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }

function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    if (wanted.every((pair) => line.includes(pair))) sum += Number(line.split(' ').at(-1))
  }
  return sum
}

t.test('metrics move with turns, tools, LLM calls, refusals and sockets', async (t) => {
  const fake = await startFakeOpenAI((request) => {
    const last = request.messages.at(-1)!
    if (last.role === 'tool') return { content: 'It is 4 🧮', usage: { prompt_tokens: 1000, completion_tokens: 50 } }
    // The first attempt of the "flaky" question fails, so the loop retries.
    if (String(last.content).includes('flaky') && fake.requests.filter((r) => String(r.messages.at(-1)?.content).includes('flaky')).length === 1) return { status: 503 }
    return { toolCalls: [{ name: 'calculator', arguments: '{"expression":"2+2"}' }] }
  })
  t.teardown(() => fake.close())
  const server = await listenTestApp(t, { ADMIN_TOKEN, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-metrics-test', RATE_LIMIT_USER: '2/1m' })
  const scrape = async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: ADMIN })
    t.equal(response.status, 200)
    t.match(response.headers.get('content-type'), /text\/plain/)
    return response.text()
  }

  t.equal((await fetch(`${server.url}/metrics`)).status, 401, 'no token: 401')
  const before = await scrape()
  t.match(before, /process_cpu_user_seconds_total/, 'default process metrics')
  t.match(before, /nodejs_eventloop_lag_seconds/, 'event-loop metrics')
  // PGlite has one session; a real server gets DATABASE_POOL_MAX (10 by default).
  t.equal(value(before, 'jelly_db_pool_max_connections'), server.databaseUrl ? 10 : 1, 'the pool size is reported')

  const socket = await connectSocketIo(server.url)
  const ws = await connectWs(server.url)
  t.teardown(() => {
    socket.close()
    ws.close()
  })
  const open = await scrape()
  t.equal(value(open, 'jelly_sockets_connected', { transport: 'socket.io' }), 1)
  t.equal(value(open, 'jelly_sockets_connected', { transport: 'websocket' }), 1)

  const first = await postJson(`${server.url}/user_message`, { user_token: 'm-rest', message: 'a flaky 2+2' })
  t.equal(first.status, 200)
  t.equal((await postJson(`${server.url}/feedback`, { user_token: 'm-rest', message_id: first.body.message_id, rating: 'up' })).status, 200)
  t.match((await socketIoTurn(socket, { user_token: 'm-io', message: '2+2?' })).final, /4/)
  t.match((await wsTurn(ws, { type: 'user_message', user_token: 'm-ws', message: '2+2?' })).final, /4/)
  await postJson(`${server.url}/user_message`, { user_token: 'm-rest', message: 'again' })
  t.equal((await postJson(`${server.url}/user_message`, { user_token: 'm-rest', message: 'and again' })).status, 429)

  const after = await scrape()
  for (const transport of ['rest', 'socket.io', 'websocket']) {
    t.equal(
      value(after, 'jelly_turns_total', { transport, mode: 'llm', outcome: 'answered' }) - value(before, 'jelly_turns_total', { transport }),
      transport === 'rest' ? 2 : 1,
      `${transport}: turns counted`,
    )
  }
  t.equal(value(after, 'jelly_turn_duration_seconds_count', { transport: 'rest' }), 2, 'turn durations observed')
  t.equal(value(after, 'jelly_time_to_first_token_seconds_count'), 4, 'time to first token observed per answered turn')
  t.equal(value(after, 'jelly_tool_calls_total', { tool: 'calculator', outcome: 'ok' }), 4, 'tool calls')
  t.equal(value(after, 'jelly_tool_duration_seconds_count', { tool: 'calculator' }), 4, 'tool durations')
  t.equal(value(after, 'jelly_llm_requests_total', { outcome: 'error' }), 1, 'the failed LLM request')
  t.equal(value(after, 'jelly_llm_requests_total', { outcome: 'ok' }), 8, 'two LLM requests per turn')
  t.equal(value(after, 'jelly_llm_retries_total'), 1, 'one retry')
  t.equal(value(after, 'jelly_llm_tokens_total', { kind: 'prompt' }), 4 * 1100, 'prompt tokens summed')
  t.equal(value(after, 'jelly_llm_tokens_total', { kind: 'completion' }), 4 * 70, 'completion tokens summed')
  t.ok(value(after, 'jelly_llm_cost_usd_total') > 0, 'cost in USD from the price table')
  t.equal(value(after, 'jelly_refused_messages_total', { reason: 'rate_limit_user', transport: 'rest' }), 1, 'the refused message')
  t.equal(value(after, 'jelly_feedback_total', { rating: 'up' }), 1, 'the rating')
  t.ok(value(after, 'jelly_db_queries_total') > value(before, 'jelly_db_queries_total'), 'database statements counted')

  socket.close()
  ws.close()
  const closed = await eventually(async () => value(await scrape(), 'jelly_sockets_connected') === 0, 5000, 'the closes to reach the server')
  t.ok(closed, 'closed sockets leave the gauge')
})

t.test('a turn the LLM could not answer counts as a fallback, with its failed requests', async (t) => {
  const fake = await startFakeOpenAI(() => ({ status: 500 }))
  t.teardown(() => fake.close())
  const { app } = await buildTestApp(t, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-metrics-test' })
  t.equal((await injector(app).post('/user_message', { user_token: 'fallback-user', message: 'what is 6 * 7' })).status, 200)
  const text = (await app.inject({ url: '/metrics' })).body
  t.equal(value(text, 'jelly_llm_fallbacks_total'), 1, 'one fallback')
  t.equal(value(text, 'jelly_turns_total', { mode: 'fallback', outcome: 'answered' }), 1, 'the turn is counted in fallback mode')
  t.equal(value(text, 'jelly_llm_requests_total', { outcome: 'error' }), fake.requests.length, 'every failed request counted')
  t.equal(value(text, 'jelly_llm_retries_total'), fake.requests.length - 1, 'all but the first were retries')
  t.equal(value(text, 'jelly_tool_calls_total', { tool: 'calculator', outcome: 'ok' }), 1, 'the offline answer used the calculator')
})
