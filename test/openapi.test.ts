// /openapi.json is a valid OpenAPI 3 document that lists every registered route
// (except those marked hide: true) with request and response schemas, errors
// included; /docs serves the docs UI under its own CSP. Through buildTestApp() and inject().
import t from 'tap'
import SwaggerParser from '@apidevtools/swagger-parser'
import type { RouteOptions } from 'fastify'
import { buildTestApp } from './helpers/app.ts'

const routes: RouteOptions[] = []
const { app } = await buildTestApp(t, { LOG_LEVEL: 'silent' }, { onRoute: (route) => void routes.push(route) })

const response = await app.inject({ url: '/openapi.json' })
const document = response.json()

t.test('the document is valid OpenAPI 3', async (t) => {
  t.equal(response.statusCode, 200)
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
  const docs = await app.inject({ url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(docs.body, /swagger/i)
  const csp = String(docs.headers['content-security-policy'] ?? '')
  t.match(csp, /script-src 'self'/)
  t.notMatch(csp, /upgrade-insecure-requests/, 'no https upgrade on a plain-http server')
  const api = await app.inject({ url: '/health', headers: { origin: 'https://example.org' } })
  t.equal(api.headers['x-content-type-options'], 'nosniff', 'helmet headers on API responses')
  t.match(api.headers['content-security-policy'], /default-src 'self'/)
  t.equal(api.headers['access-control-allow-origin'], 'https://example.org', 'CORS still answers')
})
