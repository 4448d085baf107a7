// The yardstick: a bare relay doing only the network work of a Jelly turn.
// Fastify 5 + Socket.IO 4 + the openai SDK: validate {user_token, message},
// stream a completion offering one calculator tool, run it, emit tool_start,
// stream the second completion as final_answer_tokens, then final_message;
// and POST /user_message. No database, no history, no logging, no layers.
// Whatever the project spends beyond this is the cost of its features.
import Fastify from 'fastify'
import { Server } from 'socket.io'
import OpenAI from 'openai'
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions'
import { Parser } from 'expr-eval-fork'

type Emit = (event: string, payload: object) => void

const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: 'bench', maxRetries: 0 })
const parser = new Parser()
const tools: ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'calculator',
      description: 'Evaluates an arithmetic expression.',
      parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
    },
  },
]

function valid(body: unknown): body is { user_token: string; message: string } {
  const input = body as { user_token?: unknown; message?: unknown } | null
  return typeof input?.user_token === 'string' && input.user_token !== '' && typeof input.message === 'string' && input.message !== ''
}

async function turn(message: string, emit: Emit): Promise<string> {
  const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: message }]
  const call = { id: '', name: '', arguments: '' }
  for await (const chunk of await client.chat.completions.create({ model: 'bench', messages, tools, stream: true })) {
    for (const part of chunk.choices[0]?.delta?.tool_calls ?? []) {
      if (part.id) call.id = part.id
      if (part.function?.name) call.name += part.function.name
      if (part.function?.arguments) call.arguments += part.function.arguments
    }
  }
  emit('tool_start', { tool_name: 'calculator' })
  const result = String(parser.evaluate(JSON.parse(call.arguments).expression))
  messages.push(
    { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] },
    { role: 'tool', tool_call_id: call.id, content: result },
  )
  let answer = ''
  for await (const chunk of await client.chat.completions.create({ model: 'bench', messages, tools, stream: true })) {
    const token = chunk.choices[0]?.delta?.content
    if (!token) continue
    answer += token
    emit('final_answer_token', { token })
  }
  emit('final_message', { message: answer })
  return answer
}

const app = Fastify()
app.post('/user_message', async (request, reply) => {
  if (!valid(request.body)) return reply.code(400).send({ error: 'user_token and message are required' })
  return { response: await turn(request.body.message, () => undefined) }
})
const io = new Server(app.server)
io.on('connection', (socket) => {
  socket.on('user_message', (body: unknown) => {
    if (!valid(body)) return void socket.emit('error', { error: 'user_token and message are required' })
    turn(body.message, (event, payload) => socket.emit(event, payload)).catch((error: Error) => socket.emit('error', { error: error.message }))
  })
})
app.get('/ready', async () => ({ status: 'ready' }))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
process.on('SIGTERM', () => {
  io.close()
  void app.close().then(() => process.exit(0))
})
