// A small website on 127.0.0.1 for HTML and sitemap ingestion: pages with menus
// and footers around the content, a sitemap (index), a failing page and a
// page that never answers, and redirects. Pages can be changed or removed between runs.
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeSite {
  url: string
  /** Path → HTML body; edit to change the site between ingestions. */
  pages: Map<string, string>
  /** Paths (or absolute URLs) listed in the sitemap (may list pages that fail). */
  listed: string[]
  /** Path → where it redirects to (302). */
  redirects: Map<string, string>
  requests: string[]
  close(): Promise<void>
}

export function articleHtml(title: string, body: string, lang = 'en'): string {
  return `<!doctype html><html lang="${lang}"><head><title>${title} | Harbour Wiki</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About the menu</a></li></ul></nav>
<main><article><h1>${title}</h1>${body}</article></main>
<footer><p>Footer: copyright notice and cookie banner text.</p></footer></body></html>`
}

export async function startFakeSite(): Promise<FakeSite> {
  const pages = new Map<string, string>()
  const listed: string[] = []
  const redirects = new Map<string, string>()
  const requests: string[] = []
  const hanging: ServerResponse[] = []
  const server = createServer((request, response) => {
    const path = request.url ?? '/'
    requests.push(path)
    if (path === '/sitemap_index.xml') {
      response.writeHead(200, { 'content-type': 'application/xml' })
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${site.url}/sitemap.xml</loc></sitemap></sitemapindex>`,
      )
      return
    }
    if (path === '/sitemap.xml') {
      response.writeHead(200, { 'content-type': 'application/xml' })
      const urls = listed.map((page) => `<url><loc>${/^https?:/.test(page) ? page : `${site.url}${page}`}</loc></url>`).join('')
      response.end(`<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls}</urlset>`)
      return
    }
    const target = redirects.get(path)
    if (target) {
      response.writeHead(302, { location: target }).end()
      return
    }
    if (path === '/broken') {
      response.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal error</h1>')
      return
    }
    if (path === '/slow') {
      hanging.push(response)
      return
    }
    const html = pages.get(path)
    if (!html) {
      response.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>')
      return
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const site: FakeSite = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pages,
    listed,
    redirects,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const response of hanging) response.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return site
}
