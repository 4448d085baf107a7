// /mcp: the Model Context Protocol over Streamable HTTP, stateless (a fresh MCP
// server per request, so any instance can answer any request). It offers the
// agent's own tools, from the same array and under the same runner (argument
// validation, timeout, result size), plus ask_jelly, a whole turn through the
// message path.
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
// The low-level Server, as the SDK advises for advanced cases: our tools carry JSON Schemas, which McpServer would want as Zod.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { CallToolResult, Tool as McpTool } from '@modelcontextprotocol/sdk/types.js'
import type { AppServices } from '../services.ts'
import type { Tool } from '../../tools/types.ts'
import { MAX_RESULT_CHARS, type ToolRunner } from '../../agent/run-tool-calls.ts'
import { createMessageValidator } from '../message-input.ts'
import type { ChatService } from '../chat-service.ts'
import { isInvalidJson, restError, socketError } from '../errors.ts'
import { bearerToken, errorStatus, tokenFromApiKey } from '../openai-compat.ts'

const SERVER_INFO = { name: 'jelly', version: '1.0.0' }
const INSTRUCTIONS =
  'Jelly is a DeFiChain assistant. Use the wiki tool for how-tos and concepts, the get_*/list_* tools for live chain data (read-only), the calculator for arithmetic, or ask_jelly to let Jelly answer a whole question herself.'

const ASK_JELLY = 'ask_jelly'
// JSON-RPC's "parse error", "invalid request" and "internal error".
const PARSE_ERROR = -32700
const INVALID_REQUEST = -32600
const INTERNAL_ERROR = -32603

// The SDK (with Zod: ~25 MB and a tenth of a second) loads on the first /mcp request rather than at every start.
type Sdk = Awaited<ReturnType<typeof importSdk>>
let sdk: Promise<Sdk> | undefined
async function importSdk() {
  const [server, transport, types] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/index.js'),
    import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ])
  return { Server: server.Server, Transport: transport.WebStandardStreamableHTTPServerTransport, ...types }
}

/** One tool call through the agent's tool runner: the same validation, timeout and result cap as a model's call. */
async function runJellyTool(runner: ToolRunner, name: string, args: unknown, options: { signal: AbortSignal; log: Logger }): Promise<CallToolResult> {
  const outcome = await runner.runTool(name, args ?? {}, options)
  if (!outcome.ok) return { content: [{ type: 'text', text: outcome.error }], isError: true }
  const text = typeof outcome.result === 'string' ? outcome.result : JSON.stringify(outcome.result)
  return { content: [{ type: 'text', text: text.length <= MAX_RESULT_CHARS ? text : `${text.slice(0, MAX_RESULT_CHARS)}… (truncated)` }] }
}

export const mcpRoute: FastifyPluginAsync<AppServices> = async (app, { tools: runner, chat, config }) => {
  // Without a tool runner (an app composed for some tests) only ask_jelly is offered.
  const toolList = listTools(runner?.tools ?? [], config.maxMessageChars)
  const known = new Set(toolList.map((tool) => tool.name))
  const validateTurn = createMessageValidator(config.maxMessageChars)

  function createServer(request: FastifyRequest, { Server, CallToolRequestSchema, ListToolsRequestSchema, McpError, ErrorCode }: Sdk): Server {
    const server = new Server(SERVER_INFO, { capabilities: { tools: {} }, instructions: INSTRUCTIONS })
    // Fastify's request logger is a pino child; the tools are typed against pino's Logger.
    const log = request.log as unknown as Logger
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: toolList }))
    server.setRequestHandler(CallToolRequestSchema, async ({ params }, extra): Promise<CallToolResult> => {
      if (params.name === ASK_JELLY) {
        const progressToken = params._meta?.progressToken
        let progress = 0
        return askJelly(chat, validateTurn, request, log, params.arguments ?? {}, (line) => {
          if (progressToken !== undefined)
            void extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: ++progress, message: line } })
        })
      }
      if (!runner || !known.has(params.name)) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${params.name}. Available tools: ${[...known].join(', ')}`)
      return runJellyTool(runner, params.name, params.arguments, { signal: extra.signal, log })
    })
    return server
  }

  const jsonRpc = {
    type: 'object',
    description: 'A JSON-RPC 2.0 message of the Model Context Protocol',
    properties: { jsonrpc: { type: 'string', enum: ['2.0'] } },
    required: ['jsonrpc'],
  }
  const jsonRpcError = {
    type: 'object',
    properties: {
      jsonrpc: { type: 'string' },
      id: { description: 'the request id, or null' },
      error: { type: 'object', properties: { code: { type: 'integer' }, message: { type: 'string' } } },
    },
  }

  app.post('/mcp', {
    schema: {
      summary: "Model Context Protocol: Jelly's tools and ask_jelly",
      tags: ['mcp'],
      description: 'Model Context Protocol, Streamable HTTP transport (stateless). Clients send Accept: application/json, text/event-stream.',
      body: { anyOf: [jsonRpc, { type: 'array', items: jsonRpc }] },
      response: {
        200: { ...jsonRpc, description: 'text/event-stream carrying the JSON-RPC response (and progress notifications), or application/json' },
        202: { description: 'A notification or response was accepted; no body' },
        '4xx': jsonRpcError,
        500: jsonRpcError,
      },
    },
    // What fails before the SDK sees the request (bad JSON, a body too large, the HTTP rate limit)
    // is worded as for every route, in a JSON-RPC error: what an MCP client reads.
    errorHandler: (error, request, reply) => {
      const { status, body, retryAfterSeconds } = restError(error, request.log)
      if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
      const code = isInvalidJson(error) ? PARSE_ERROR : status >= 500 ? INTERNAL_ERROR : INVALID_REQUEST
      return reply.code(status).send({ jsonrpc: '2.0', id: null, error: { code, message: body.error } })
    },
    // The SDK's web-standard transport answers with a Response, which Fastify sends like any reply: hooks, CORS, logs and metrics stay as for every route.
    handler: async (request, reply) => {
      const loaded = await (sdk ??= importSdk())
      const server = createServer(request, loaded)
      const transport = new loaded.Transport({ sessionIdGenerator: undefined })
      reply.raw.on('close', () => {
        void transport.close()
        void server.close()
      })
      let response: Response
      try {
        await server.connect(transport)
        response = await transport.handleRequest(toWebRequest(request), { parsedBody: request.body })
      } catch (error) {
        request.log.error({ err: error }, 'MCP request failed')
        return reply.code(500).send({ jsonrpc: '2.0', id: null, error: { code: INTERNAL_ERROR, message: 'Internal server error' } })
      }
      reply.code(response.status)
      response.headers.forEach((value, name) => void reply.header(name, value))
      return reply.send(response.body ? Readable.fromWeb(response.body as NodeReadableStream) : undefined)
    },
  })

  // Stateless: no server-initiated stream (GET) and no session to end (DELETE). The
  // protocol asks for a 405 here; it is no API of its own, so it stays out of the OpenAPI document.
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp',
      schema: { hide: true, response: { 405: jsonRpcError } },
      handler: async (_request, reply) =>
        reply
          .code(405)
          .header('allow', 'POST')
          .send({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Method not allowed: this MCP server is stateless, use POST' } }),
    })
  }
}

// Headers that describe the HTTP/1 framing of the body Fastify already read.
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive'])

function toWebRequest(request: FastifyRequest): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || FRAMING_HEADERS.has(name)) continue
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one)
  }
  return new Request(`http://${request.host}${request.url}`, { method: request.method, headers })
}

function listTools(tools: Tool[], maxMessageChars: number): McpTool[] {
  const own: McpTool[] = tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: tool.parameters as McpTool['inputSchema'],
    annotations: { readOnlyHint: true, destructiveHint: false },
  }))
  const askJellyTool: McpTool = {
    name: ASK_JELLY,
    description:
      "Ask Jelly, the DeFiChain assistant, a whole question in plain words. Jelly picks her tools herself (wiki, live chain data, calculator), answers in the user's language and remembers earlier questions of the same user_token. The turn is stored in her chat history.",
    inputSchema: {
      type: 'object',
      properties: {
        message: { type: 'string', maxLength: maxMessageChars, description: 'The question, e.g. "How many masternodes are there?"' },
        user_token: {
          type: 'string',
          maxLength: 200,
          description:
            'Whose conversation this is, to keep follow-up questions in context. Default: one derived from the Authorization header, else a new conversation (its token is returned).',
        },
      },
      required: ['message'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: { answer: { type: 'string' }, message_id: { type: 'integer' }, user_token: { type: 'string' } },
      required: ['answer', 'message_id', 'user_token'],
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  }
  return [...own, askJellyTool]
}

async function askJelly(
  chat: ChatService,
  validateTurn: ReturnType<typeof createMessageValidator>,
  request: FastifyRequest,
  log: Logger,
  args: Record<string, unknown>,
  onToolStart: (line: string) => void,
): Promise<CallToolResult> {
  const fail = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true })
  const unknownArgument = Object.keys(args).find((key) => key !== 'message' && key !== 'user_token')
  if (unknownArgument) return fail(`Invalid arguments: unknown argument ${unknownArgument}; ask_jelly takes message and user_token.`)
  const apiKey = bearerToken(request.headers.authorization)
  const userToken = args.user_token ?? (apiKey ? tokenFromApiKey(apiKey) : `mcp-${randomUUID()}`)
  const checked = validateTurn({ user_token: userToken, message: args.message })
  if ('error' in checked) return fail(`Invalid arguments: ${checked.error}.`)
  try {
    const turn = await chat.handleMessage(
      { userToken: checked.value.user_token, message: checked.value.message, application: null, transport: 'mcp', ip: request.clientIp },
      (event) => {
        if (event.type === 'tool_start') onToolStart(event.tool_name)
      },
    )
    return {
      content: [{ type: 'text', text: turn.answer }],
      structuredContent: { answer: turn.answer, message_id: turn.messageId, user_token: checked.value.user_token },
    }
  } catch (error) {
    return fail(refusalMessage(error) ?? socketError(error, log, 'mcp').error)
  }
}

// A refusal with its own status (a rate limit's 429, an overload's 503) is told as it is.
function refusalMessage(error: unknown): string | undefined {
  const status = errorStatus(error)
  return status !== undefined && status !== 500 && error instanceof Error ? error.message : undefined
}
