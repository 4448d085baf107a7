import t from 'tap'
import { readFile } from 'node:fs/promises'
import { parseMarkdownPage } from '../knowledge/markdown.ts'
import { parseHtmlPage, parseSitemap } from '../knowledge/html.ts'
import { articleHtml } from './fakes/site.ts'

const fixture = new URL('./fixtures/knowledge/docs/en/Lighthouse.md', import.meta.url)

t.test('markdown: front matter, anchors, admonitions, fragments, code', async (t) => {
  const page = parseMarkdownPage({
    source: 'en/Lighthouse.md',
    text: await readFile(fixture, 'utf8'),
    url: 'https://wiki.example/docs/Lighthouse',
    lang: 'en',
    fallbackTitle: 'Lighthouse',
  })
  t.equal(page.title, 'Lighthouse keeping')
  t.equal(page.description, 'How the harbour lighthouse is kept running through the night.')
  t.equal(page.lang, 'en')
  t.same(page.sections[0].headingPath, [], 'intro section before the first heading')
  t.match(page.sections[0].blocks.join(' '), /guides ships/)
  t.notMatch(JSON.stringify(page), /import Tabs/, 'MDX imports are dropped')
  const schedule = page.sections.find((section) => section.headingPath.at(-1) === 'Lamp schedule')!
  t.equal(schedule.anchor, 'lamp-schedule', 'explicit {#id} becomes the anchor')
  t.notMatch(schedule.headingPath[0], /\{#/, 'the {#id} is not part of the heading text')
  const blocks = schedule.blocks.join('\n')
  t.match(blocks, /Keeper advice:/, 'admonition title kept as a lead-in')
  t.match(blocks, /spare bulb when climbing the 120 stairs/)
  t.notMatch(blocks, /:::/, 'admonition fences removed')
  const spare = page.sections.find((section) => section.headingPath.at(-1) === 'Spare parts')!
  t.same(spare.headingPath, ['Lamp schedule', 'Spare parts'], 'heading path follows nesting')
  t.equal(spare.anchor, 'spare-parts', 'anchor slugged like Docusaurus when not given')
  const text = spare.blocks.join('\n')
  t.match(text, /See the inventory for the list\./, 'link text kept, target dropped')
  t.notMatch(text, /lamp\.png|A picture/, 'images dropped')
  t.match(text, /Expected output\s*lamp status: burning/, 'HTML fragment reduced to its text')
  t.notMatch(text, /<details>|<p>/)
  t.match(text, /# not a heading\nlampctl status --verbose/, 'code kept verbatim')
  t.notOk(
    page.sections.some((section) => section.headingPath.includes('not a heading')),
    'a # inside code is no heading',
  )
})

t.test('markdown: language from front matter unless forced, title fallback', async (t) => {
  const text = '---\nlang: de\n---\n\nHallo Welt.\n'
  t.equal(parseMarkdownPage({ source: 'a.md', text, url: 'u', lang: 'en', fallbackTitle: 'A page' }).lang, 'de')
  const forced = parseMarkdownPage({ source: 'a.md', text, url: 'u', lang: 'fr', forceLang: true, fallbackTitle: 'A page' })
  t.equal(forced.lang, 'fr')
  t.equal(forced.title, 'A page')
  t.equal(parseMarkdownPage({ source: 'b.md', text: '# Top title\n\nBody.', url: 'u', lang: 'en', fallbackTitle: 'x' }).title, 'Top title')
})

t.test('html: main content only, headings with ids, lists and tables', async (t) => {
  const html = articleHtml(
    'Harbour',
    `<p>The harbour of Coral Bay shelters fishing boats all year round. It was built in 1890 and extended twice since then, most recently in 1990.</p>
     <h2 id="fees">Mooring fees</h2><p>A mooring costs 12 coins per night for boats under ten metres. Longer boats pay double the fee per night.</p>
     <ul><li><p>Pay at the harbour office</p></li><li>Cash only</li></ul>
     <table><tr><th>Length</th><th>Fee</th></tr><tr><td>under 10 m</td><td>12</td></tr></table>
     <h3>Office hours</h3><p>The office opens at 8 and closes at 18, every day except Sunday.</p>`,
    'en-GB',
  )
  const page = parseHtmlPage(html, 'http://127.0.0.1/harbour#top')
  t.equal(page.url, 'http://127.0.0.1/harbour', 'fragment dropped from the page URL')
  t.equal(page.lang, 'en')
  t.match(page.title, /Harbour/)
  const all = JSON.stringify(page)
  t.notMatch(all, /About the menu|cookie banner/, 'navigation and footer are not content')
  const fees = page.sections.find((section) => section.anchor === 'fees')!
  t.same(fees.headingPath, ['Mooring fees'])
  t.same(fees.blocks.slice(1), ['- Pay at the harbour office', '- Cash only', 'Length | Fee', 'under 10 m | 12'])
  const hours = page.sections.find((section) => section.headingPath.at(-1) === 'Office hours')!
  t.same(hours.headingPath, ['Mooring fees', 'Office hours'])
  t.equal(hours.anchor, 'office-hours')
  t.equal(parseHtmlPage(html, 'http://x/', 'de').lang, 'de', '--lang wins over the page attribute')
})

t.test('sitemap: pages and nested sitemaps', async (t) => {
  const xml =
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc> http://a/1 </loc><lastmod>2024-01-01</lastmod></url><url><loc>http://a/2</loc></url></urlset>'
  t.same(parseSitemap(xml), { pages: ['http://a/1', 'http://a/2'], sitemaps: [] })
  const index = '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>http://a/s.xml</loc></sitemap></sitemapindex>'
  t.same(parseSitemap(index), { pages: [], sitemaps: ['http://a/s.xml'] })
})
