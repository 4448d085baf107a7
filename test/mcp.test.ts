// /mcp with the SDK's own client over Streamable HTTP: the tool list is the
// agent's tools (same names, schemas, descriptions) plus ask_jelly; each kind of
// tool runs (calculator, a chain-data tool on the fake Ocean, the wiki on the
// fixture knowledge base); bad arguments, timeouts and unknown tools fail clearly.
import t from 'tap'
import type { Test } from 'tap'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { loadSource } from '../knowledge/sources.ts'
import { ingestSource } from '../knowledge/ingest.ts'
import { createLocalEmbedder } from '../knowledge/embedders/local.ts'
import { mathTool } from '../tools/math.ts'
import { createOceanTools } from '../tools/ocean/index.ts'
import { createOceanToolGroups } from '../tools/ocean/groups.ts'
import { freshDatabase } from './helpers/data-dir.ts'
import { fixtureDocs } from './helpers/knowledge.ts'
import { listenTestApp } from './helpers/app.ts'
import { postJson } from './helpers/client.ts'
import { startFakeOcean } from './fakes/ocean.ts'

async function fixtureDataDir(): Promise<string> {
  const options = await freshDatabase()
  const db = await connectDatabase(options)
  try {
    await migrate(db.sql)
    await ingestSource(db.sql, createLocalEmbedder(), await loadSource(fixtureDocs('docs/en'), { baseUrl: 'https://wiki.example/docs' }))
  } finally {
    await db.close()
  }
  return options.dataDir
}

async function connect(t: Test, url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'jelly-test', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }))
  t.teardown(() => client.close())
  return client
}

const text = (result: any) => result.content.map((part: any) => part.text).join('')

const ocean = await startFakeOcean(t)
const server = await listenTestApp(t, { OCEAN_URL: ocean.url, DATA_DIR: await fixtureDataDir(), TOOL_TIMEOUT_MS: '3000' })

t.test("the tool list is the agent's tools plus ask_jelly", async (t) => {
  const client = await connect(t, server.url)
  t.equal(client.getServerVersion()?.name, 'jelly')
  const { tools } = await client.listTools()
  // The model is offered the Ocean reads grouped by subject; MCP lists exactly what the model gets.
  const agentTools = [mathTool, ...createOceanToolGroups(createOceanTools({ url: ocean.url, network: 'mainnet', timeoutMs: 1000 }))]
  for (const tool of agentTools) {
    const listed = tools.find((entry) => entry.name === tool.name)
    t.ok(listed, `${tool.name} is listed`)
    t.equal(listed?.description, tool.description, `${tool.name}: the same description`)
    t.same(listed?.inputSchema, tool.parameters, `${tool.name}: the same JSON Schema`)
    t.equal(listed?.annotations?.readOnlyHint, true, `${tool.name}: read-only`)
  }
  t.ok(tools.some((tool) => tool.name === 'wiki'))
  t.equal(tools.length, agentTools.length + 2, 'and wiki and ask_jelly, nothing else')
  t.match(
    tools.find((tool) => tool.name === 'ask_jelly'),
    { inputSchema: { required: ['message'] }, annotations: { readOnlyHint: false } },
  )
})

t.test('calling each kind of tool', async (t) => {
  const client = await connect(t, server.url)

  const math = await client.callTool({ name: 'calculator', arguments: { expression: '20000 / 33.3' } })
  t.notOk(math.isError)
  t.match(JSON.parse(text(math)), { result: 600.6006006006006, formatted: /600\.6/ })

  const before = ocean.count('/v0/mainnet/blocks')
  const block = await client.callTool({ name: 'block', arguments: { what: 'latest' } })
  t.notOk(block.isError)
  t.match(JSON.parse(text(block)), { height: 3_456_789, network: 'mainnet' })
  t.ok(ocean.count('/v0/mainnet/blocks') > before, 'the fake Ocean was asked')

  const wiki = await client.callTool({ name: 'wiki', arguments: { query: 'when does the keeper light the lamp' } })
  t.notOk(wiki.isError, text(wiki))
  const found = JSON.parse(text(wiki))
  t.match(found.highlights[0], { text: /sunset/, url: 'https://wiki.example/docs/Lighthouse#lamp-schedule' })
})

t.test('bad arguments, a failing tool, a timeout and an unknown tool', async (t) => {
  const client = await connect(t, server.url)

  const missing = await client.callTool({ name: 'calculator', arguments: {} })
  t.equal(missing.isError, true)
  t.match(text(missing), /Invalid arguments: expression is required/)

  const wrongType = await client.callTool({ name: 'block', arguments: { what: 'block', block: 3000000, network: 'moonnet' } })
  t.equal(wrongType.isError, true)
  t.match(text(wrongType), /Invalid arguments/)

  const divide = await client.callTool({ name: 'calculator', arguments: { expression: '1 / 0' } })
  t.equal(divide.isError, true)
  t.match(text(divide), /Division by zero/)

  ocean.setDelay(6000)
  t.teardown(() => ocean.setDelay(0))
  const slow = await client.callTool({ name: 'block', arguments: { what: 'block', block: 3000000 } })
  t.equal(slow.isError, true)
  t.match(text(slow), /longer than 3000 ms/, "the agent's tool timeout (TOOL_TIMEOUT_MS)")
  ocean.setDelay(0)

  const unknown = await client.callTool({ name: 'send_dfi', arguments: { to: 'someone' } }).catch((error) => error)
  t.type(unknown, McpError)
  t.match(unknown.message, /Unknown tool: send_dfi/)
})

t.test('ask_jelly runs a whole turn through the message path', async (t) => {
  const client = await connect(t, server.url)
  const progress: string[] = []
  const result: any = await client.callTool({ name: 'ask_jelly', arguments: { message: 'What is 20000 divided by 33.3?', user_token: 'mcp-user' } }, undefined, {
    onprogress: (event) => void progress.push(String(event.message)),
  })
  t.notOk(result.isError)
  t.match(text(result), /600\.6/)
  t.same(progress, ["Let's do the math together 🧮"], 'tool progress as MCP progress notifications')
  t.match(result.structuredContent, { answer: text(result), message_id: Number, user_token: 'mcp-user' })
  const history = (await postJson(`${server.url}/history`, { user_token: 'mcp-user' })).body
  t.same(
    history.slice(1).map((row: any) => row.message_type),
    ['human', 'tool', 'jelly'],
  )
  t.equal(history.at(-1).id, result.structuredContent.message_id)
  t.ok(
    server.logs.some((line) => line.msg === 'turn' && line.transport === 'mcp'),
    'the turn log names the mcp transport',
  )

  const anonymous: any = await client.callTool({ name: 'ask_jelly', arguments: { message: 'What is 2 + 2?' } })
  t.match(anonymous.structuredContent.user_token, /^mcp-[0-9a-f-]{36}$/, 'without a token: a new conversation, its token returned')

  const keyed = await connect(t, server.url, { authorization: 'Bearer my-secret-key' })
  const withKey: any = await keyed.callTool({ name: 'ask_jelly', arguments: { message: 'What is 2 + 3?' } })
  t.match(withKey.structuredContent.user_token, /^key-[0-9a-f]{32}$/, 'with a bearer key: a user derived from it')
  t.notMatch(withKey.structuredContent.user_token, /my-secret-key/)

  const empty = await client.callTool({ name: 'ask_jelly', arguments: { message: '  ', user_token: 'mcp-empty' } })
  t.equal(empty.isError, true)
  t.match(text(empty), /message must not be empty/)
  t.same(
    (await postJson(`${server.url}/history`, { user_token: 'mcp-empty' })).body.map((row: any) => row.message_type),
    ['jelly'],
    'nothing stored',
  )
})

t.test('/mcp is an ordinary Fastify route: CORS headers and a request log with its status', async (t) => {
  const response = await fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', origin: 'https://chat.example' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  })
  t.equal(response.status, 200)
  t.equal(response.headers.get('access-control-allow-origin'), 'https://chat.example')
  t.match(response.headers.get('content-type'), /text\/event-stream/)
  t.match(await response.text(), /"name":"calculator"/)
  const incoming = server.logs.filter((line) => line.msg === 'incoming request' && line.req?.url === '/mcp').map((line) => line.reqId)
  t.ok(
    server.logs.some((line) => line.msg === 'request completed' && incoming.includes(line.reqId) && line.res?.statusCode === 200),
    'Fastify logged the /mcp request as completed',
  )
})

t.test('stateless: GET and DELETE are 405', async (t) => {
  for (const method of ['GET', 'DELETE']) {
    const response = await fetch(`${server.url}/mcp`, { method, headers: { accept: 'text/event-stream' } })
    t.equal(response.status, 405, method)
    t.equal(response.headers.get('allow'), 'POST')
  }
})

t.test('a request the SDK never sees (bad JSON, wrong type, too large, over the HTTP rate limit) gets a JSON-RPC error in words', async (t) => {
  const limited = await listenTestApp(t, { RATE_LIMIT_HTTP: '4/1m' })
  const post = (body: string, contentType = 'application/json') =>
    fetch(`${limited.url}/mcp`, { method: 'POST', headers: { 'content-type': contentType, accept: 'application/json, text/event-stream' }, body })
  const cases = [
    { name: 'bad JSON', response: await post('{bad'), status: 400, code: -32700, message: 'body must be valid JSON' },
    { name: 'not JSON', response: await post('hello', 'text/plain'), status: 415, code: -32600, message: /Content-Type: application\/json/ },
    {
      name: 'too large',
      response: await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: { pad: 'x'.repeat(2_000_000) } })),
      status: 413,
      code: -32600,
      message: 'body is too large',
    },
  ]
  for (const { name, response, status, code, message } of cases) {
    t.equal(response.status, status, `${name}: ${status}`)
    t.match(await response.json(), { jsonrpc: '2.0', id: null, error: { code, message } }, `${name}: the error says what is wrong`)
  }
  await post('{}')
  const limitedOut = await post('{}')
  t.equal(limitedOut.status, 429)
  t.ok(Number(limitedOut.headers.get('retry-after')) > 0, 'Retry-After')
  t.match(await limitedOut.json(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: /\d+ s/ } }, 'the 429 says how long to wait')
})
