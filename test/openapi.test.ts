// /openapi.json is a valid OpenAPI 3 document that lists every registered route
// (except those marked hide: true) with request and response schemas, errors
// included; /docs serves the docs UI under its own CSP.
import t from 'tap'
import SwaggerParser from '@apidevtools/swagger-parser'
import type { RouteOptions } from 'fastify'
import { loadConfig } from '../server/config.ts'
import { createLogger } from '../server/logger.ts'
import { startServer } from '../server/start.ts'
import { freshMigratedDataDir } from './helpers/data-dir.ts'
import { LIMITS_OFF } from './helpers/server.ts'

const routes: RouteOptions[] = []
const config = loadConfig({ ...LIMITS_OFF, OCEAN_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', DATA_DIR: await freshMigratedDataDir() })
const server = await startServer(config, createLogger('silent'), { onRoute: (route) => void routes.push(route) })
t.teardown(() => server.stop())

const response = await fetch(`${server.url}/openapi.json`)
const document = (await response.json()) as any

t.test('the document is valid OpenAPI 3', async (t) => {
  t.equal(response.status, 200)
  t.match(document.openapi, /^3\./)
  await t.resolves(SwaggerParser.validate(structuredClone(document)), 'swagger-parser accepts it')
  t.match(document.info.description, /Socket\.IO[\s\S]*final_answer_token[\s\S]*Plain WebSocket at `\/ws`/, 'the socket events are described')
})

t.test('every registered route is in it, with response schemas per status including errors', async (t) => {
  const visible = routes.filter((route) => !(route.schema as { hide?: boolean } | undefined)?.hide)
  t.ok(visible.length >= 10, `${visible.length} routes registered`)
  for (const route of visible) {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD')
    const path = route.url.replace(/:(\w+)/g, '{$1}')
    for (const method of methods) {
      const operation = document.paths[path]?.[method.toLowerCase()]
      t.ok(operation, `${method} ${route.url} is documented`)
      if (!operation) continue
      const statuses = Object.keys(operation.responses)
      t.ok(
        statuses.some((s) => /^[12]/.test(s)),
        `${method} ${route.url}: a success response`,
      )
      if (route.url !== '/health')
        t.ok(
          statuses.some((s) => /^[45]/.test(s)),
          `${method} ${route.url}: error responses (${statuses.join(', ')})`,
        )
      t.ok(operation.summary, `${method} ${route.url}: a summary`)
      if (method === 'POST') t.ok(operation.requestBody?.content?.['application/json']?.schema, `${method} ${route.url}: a request body schema`)
    }
  }
  const message = document.paths['/user_message'].post
  t.ok(message.responses['429'] && message.responses['503'], '/user_message documents 429 and 503')
  t.ok(document.paths['/messages_answers'].get.security, 'admin routes say they need the bearer token')
})

t.test('/docs serves the UI with security headers that let it load', async (t) => {
  const docs = await fetch(`${server.url}/docs/`, { redirect: 'follow' })
  t.equal(docs.status, 200)
  t.match(await docs.text(), /swagger/i)
  const csp = docs.headers.get('content-security-policy') ?? ''
  t.match(csp, /script-src 'self'/)
  t.notMatch(csp, /upgrade-insecure-requests/, 'no https upgrade on a plain-http server')
  const api = await fetch(`${server.url}/health`, { headers: { origin: 'https://example.org' } })
  t.equal(api.headers.get('x-content-type-options'), 'nosniff', 'helmet headers on API responses')
  t.match(api.headers.get('content-security-policy'), /default-src 'self'/)
  t.equal(api.headers.get('access-control-allow-origin'), 'https://example.org', 'CORS still answers')
})
