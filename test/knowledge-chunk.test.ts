import t from 'tap'
import { chunkPage } from '../knowledge/chunk.ts'
import type { Page } from '../knowledge/types.ts'

const sentence = (n: number) => `Sentence number ${n} talks about tides and boats in the bay.`

t.test('one chunk per section with heading path and deep link', async (t) => {
  const page: Page = {
    source: 'en/Tides.md',
    title: 'Tides',
    description: 'Tide tables.',
    url: 'https://wiki.example/docs/Tides',
    lang: 'en',
    sections: [
      { headingPath: [], blocks: ['Intro about the tides and the moon, long enough to stand on its own as a section of this page. '.repeat(3)] },
      { headingPath: ['High tide'], anchor: 'high-tide', blocks: ['High tide reaches 4.2 metres. '.repeat(10)] },
      { headingPath: ['High tide', 'Spring tide'], anchor: 'spring-tide', blocks: ['Spring tides are the highest. '.repeat(10)] },
    ],
  }
  const chunks = chunkPage(page)
  t.equal(chunks.length, 3)
  t.match(chunks[0], { heading: 'Tides', url: 'https://wiki.example/docs/Tides' })
  t.match(chunks[0].content, /^Tide tables\.\n/, 'the description opens the first chunk')
  t.match(chunks[2], { heading: 'High tide › Spring tide', url: 'https://wiki.example/docs/Tides#spring-tide' })
})

t.test('a tiny section takes its first subsection along', async (t) => {
  const page: Page = {
    source: 's',
    title: 'T',
    url: 'u',
    lang: 'en',
    sections: [
      { headingPath: ['Parent'], anchor: 'parent', blocks: ['Short lead-in.'] },
      { headingPath: ['Parent', 'Child'], anchor: 'child', blocks: ['Child content.'] },
    ],
  }
  const chunks = chunkPage(page)
  t.equal(chunks.length, 1)
  t.equal(chunks[0].content, 'Short lead-in.\nChild:\nChild content.')
  t.equal(chunks[0].url, 'u#parent')
})

t.test('long sections split within the budget with overlap', async (t) => {
  const blocks = Array.from({ length: 40 }, (_, index) => sentence(index))
  const page: Page = { source: 's', title: 'T', url: 'u', lang: 'en', sections: [{ headingPath: ['Long'], anchor: 'long', blocks }] }
  const chunks = chunkPage(page, { maxChars: 300, overlapChars: 80, minChars: 50 })
  t.ok(chunks.length > 5)
  for (const chunk of chunks) t.ok(chunk.content.length <= 300, `chunk within budget (${chunk.content.length})`)
  for (let index = 1; index < chunks.length; index++) {
    const lastOfPrevious = chunks[index - 1].content.split('\n').at(-1)!
    t.ok(chunks[index].content.startsWith(lastOfPrevious), 'next chunk repeats the end of the previous one')
  }
  const all = chunks.map((chunk) => chunk.content).join('\n')
  for (let index = 0; index < 40; index++) t.ok(all.includes(sentence(index)), `sentence ${index} kept`)
  const giant: Page = { ...page, sections: [{ headingPath: ['Big'], blocks: [Array.from({ length: 30 }, (_, index) => sentence(index)).join(' ')] }] }
  for (const chunk of chunkPage(giant, { maxChars: 300, overlapChars: 80, minChars: 50 })) t.ok(chunk.content.length <= 300)
})
