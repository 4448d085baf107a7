// @fastify/swagger + @fastify/swagger-ui: the OpenAPI 3 document at
// /openapi.json and a docs UI at /docs, generated from the routes' schemas.
// The socket transports are not HTTP routes, so their events are described here.
import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

const SOCKETS = `
## Socket.IO (same port, path \`/socket.io/\`)

Emit \`user_message\` with \`{user_token, message, application?, client_message_id?}\` (or positional
\`(user_token, message, application)\`); an acknowledgement callback, if given, receives
\`{response, message_id}\` or \`{error}\`. The server emits to that socket:

| event | payload | when |
|---|---|---|
| \`tool_start\` | \`{tool_name}\` | a tool starts, as a human-readable line |
| \`final_answer_token\` | \`{token}\` | each piece of the answer, in order |
| \`final_message\` | \`{message, message_id}\` | the whole answer, once: the tokens joined |
| \`error\` | \`{error, retry_after?}\` | bad input, a failure, or a refused message (\`retry_after\`: seconds to wait); the connection stays usable |

A connection beyond \`MAX_SOCKETS_PER_IP\` gets \`connect_error\` with the reason.

## Plain WebSocket at \`/ws\`

Send \`{"type":"user_message","user_token":"...","message":"...","application":"..."}\`; receive the same events
as JSON frames with a \`type\` field: \`{"type":"tool_start","tool_name"}\`, \`{"type":"final_answer_token","token"}\`,
\`{"type":"final_message","message","message_id"}\`, \`{"type":"error","error","retry_after?"}\`.
A connection beyond \`MAX_SOCKETS_PER_IP\` gets an \`error\` frame and is closed with code 1013.

## Limits

Messages on every transport count against \`RATE_LIMIT_USER\` (per \`user_token\`) and \`RATE_LIMIT_IP\`; a refused
message gets \`429\` with \`Retry-After\` (REST) or an \`error\` event, and nothing is stored. An overloaded instance
answers new turns with \`503\` and \`Retry-After\`. REST routes count against \`RATE_LIMIT_HTTP\` per address.
`

export async function registerSwagger(app: FastifyInstance, version: string) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'JellyChat backend',
        version,
        description: `Jelly 🪼, the DeFiChain assistant: REST, Socket.IO and a plain WebSocket.\n${SOCKETS}`,
      },
      components: { securitySchemes: { admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' } } },
    },
  })
  // The UI's own CSP (with hashes of its inline scripts), without sending browsers of a plain-http server to https.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, transformStaticCSP: (csp) => csp.replace(/upgrade-insecure-requests;?/, '') })
  app.get('/openapi.json', {
    schema: {
      summary: 'This OpenAPI document',
      tags: ['status'],
      response: { 200: { type: 'object', additionalProperties: true }, '4xx': { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } },
    },
    handler: async () => app.swagger(),
  })
}
