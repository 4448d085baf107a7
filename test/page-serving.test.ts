// The chat page's files are served at / (and only there, with the right types),
// PAGE=off removes them, and a bad PAGE value stops start-up naming it.
// The Socket.IO client script is served by Socket.IO on the HTTP server, not by a
// route, so PAGE on listens (listenTestApp); PAGE=off goes through inject().
import t from 'tap'
import Fastify, { type RouteOptions } from 'fastify'
import { ConfigError, loadConfig } from '../server/config.ts'
import { chatPage } from '../server/routes/page.ts'
import { buildTestApp, listenTestApp } from './helpers/app.ts'

t.test('PAGE on (the default): the page, its script and style', async (t) => {
  const server = await listenTestApp(t)
  const page = await fetch(`${server.url}/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  const html = await page.text()
  t.match(html, '<label for="message"', 'the message box is labelled')
  t.match(html, '<script src="/socket.io/socket.io.js"', 'the Socket.IO client comes from the server itself')
  t.notMatch(html, /(?:src|href)="(?:https?:)?\/\//, 'nothing loaded from another host')
  for (const [path, type] of [
    ['/chat.js', /javascript/],
    ['/chat.css', /^text\/css/],
    ['/socket.io/socket.io.js', /javascript/],
  ] as const) {
    const response = await fetch(`${server.url}${path}`)
    t.equal(response.status, 200, path)
    t.match(response.headers.get('content-type'), type, `${path} content type`)
  }
  t.equal((await fetch(`${server.url}/../package.json`)).status, 404, 'nothing outside public/')
  t.equal((await fetch(`${server.url}/health`)).status, 200, 'the API is untouched')
})

t.test('PAGE=off: an API-only deployment', async (t) => {
  const { app } = await buildTestApp(t, { PAGE: 'off' })
  t.equal((await app.inject({ url: '/' })).statusCode, 404)
  t.equal((await app.inject({ url: '/chat.js' })).statusCode, 404)
  t.equal((await app.inject({ url: '/health' })).statusCode, 200)
})

t.test('the page routes are hidden from the OpenAPI document', async (t) => {
  const app = Fastify()
  const routes: RouteOptions[] = []
  app.addHook('onRoute', (route) => void routes.push(route))
  await app.register(chatPage)
  await app.ready()
  t.ok(
    routes.some((route) => route.url === '/'),
    'GET / is one of them',
  )
  for (const route of routes) t.equal((route.schema as { hide?: boolean } | undefined)?.hide, true, `${route.method} ${route.url} says hide: true`)
  await app.close()
})

t.test('a bad PAGE value names the variable', async (t) => {
  t.throws(() => loadConfig({ PAGE: 'maybe' }), new ConfigError('PAGE must be one of on, off, got "maybe"'))
  t.equal(loadConfig({}).page, true)
  t.equal(loadConfig({ PAGE: 'off' }).page, false)
})
