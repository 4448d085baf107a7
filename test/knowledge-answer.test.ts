import t from 'tap'
import { extractAnswer, type Passage } from '../knowledge/extract.ts'

const passage = (heading: string, content: string): Passage => ({ title: 'Harbour', url: `https://wiki.example/Harbour#${heading}`, heading, content })
const answer = (question: string, passages: Passage[]) => extractAnswer(question, passages).map((extract) => extract.sentence).join('\n')

t.test('matches words spelled a little differently', async (t) => {
  const passages = [
    passage('Fees', 'Boats pay a mooring fee every night. The harbour master collects the fee in the morning.'),
    passage('Seasons', 'In winter the harbour is quiet. The lighthouse keeper paints the boats in spring.'),
  ]
  t.match(answer('who colects the fee?', passages), /harbour master collects/, 'a typo in a long word')
  t.notMatch(answer('who colects the fee?', passages), /lighthouse keeper/)

  const german = [passage('Steuern', 'Der Hafen ist im Winter ruhig, die Händler kommen im Sommer. Wer oft handelt, wird als gewerblicher Händler eingestuft.')]
  const best = extractAnswer('wann werde ich als händler einstuft?', german, { maxLines: 1 })
  t.match(best[0]?.sentence, /eingestuft/, 'a German participle with "ge" inside')

  const short = [passage('Help', 'Questions are collected by moderators and sent to the developers. Boats leave at dawn.')]
  t.match(answer('how do questions reach the devs?', short), /sent to the developers/, 'a short form of a word')
})

t.test('two question words match one compound word', async (t) => {
  const passages = [
    passage('Identity', 'Every boat has a number painted on the bow. The BoatID is the number of the mooring permit.'),
  ]
  const lines = extractAnswer('where do I find the boat ID?', passages, { maxLines: 1 })
  t.match(lines[0]?.sentence, /BoatID/)
})

t.test('words of opposite meaning do not match', async (t) => {
  const passages = [passage('Tides', 'The water level decreases at night. Tourists visit the lighthouse at noon.')]
  t.same(extractAnswer('when does the level increase?', passages).filter((extract) => /decreases/.test(extract.sentence) && /increase/.test(extract.sentence)), [])
  t.notMatch(answer('increase', passages), /decreases/, 'increase ~ decrease is not a near spelling')
})
