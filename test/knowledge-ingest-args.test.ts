import t from 'tap'
import { jobSourceOptions, parseIngestArgs } from '../knowledge/ingest-args.ts'

t.test('ingest flags: extra origins, private addresses, caps', async (t) => {
  const parsed = parseIngestArgs([
    'https://wiki.example/sitemap.xml',
    '--allow-origin',
    'https://cdn.example',
    '--allow-origin',
    'https://img.example',
    '--max-pages',
    '50',
    '--max-bytes',
    '1000000',
  ])
  t.ok('job' in parsed)
  if (!('job' in parsed)) return
  t.same(parsed.job.allowOrigins, ['https://cdn.example', 'https://img.example'])
  t.equal(parsed.job.allowPrivate, undefined, 'private addresses stay refused unless asked for')
  t.match(jobSourceOptions(parsed.job), { allowOrigins: ['https://cdn.example', 'https://img.example'], maxPages: 50, maxBytes: 1_000_000, allowPrivate: undefined })
  const local = parseIngestArgs(['http://127.0.0.1:3000/sitemap.xml', '--allow-private'])
  t.match(local, { job: { allowPrivate: true } })
  t.match(parseIngestArgs(['x', '--max-pages', '0']), { error: /--max-pages takes a whole number above 0, got "0"/ })
  t.match(parseIngestArgs(['x', '--max-bytes', '1e9']), { error: /--max-bytes takes a whole number/ })
  t.match(parseIngestArgs(['x', '--allow-origin', 'cdn.example']), { error: /--allow-origin takes an http\(s\) URL/ })
})
