import t from 'tap'
import { extractAnswer, type Passage } from '../knowledge/extract.ts'

const passage = (heading: string, content: string): Passage => ({ title: 'Harbour', url: `https://wiki.example/Harbour#${heading}`, heading, content })
const answer = (question: string, passages: Passage[]) =>
  extractAnswer(question, passages)
    .map((extract) => extract.sentence)
    .join('\n')

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

  const part = [passage('Umzug', 'Die Fähre legt um 9 Uhr am Pier ab.\nDie Fähre legt als letzte ab, wenn alle Boote im Hafen sind.')]
  t.match(extractAnswer('was legt zuletzt ab?', part, { maxLines: 1 })[0]?.sentence, /als letzte/, "a German word that contains the line's word (zuletzt ~ letzte)")

  const short = [passage('Help', 'Questions are collected by moderators and sent to the developers. Boats leave at dawn.')]
  t.match(answer('how do questions reach the devs?', short), /sent to the developers/, 'a short form of a word')
})

t.test('two question words match one compound word', async (t) => {
  const passages = [passage('Identity', 'Every boat has a number painted on the bow. The BoatID is the number of the mooring permit.')]
  const lines = extractAnswer('where do I find the boat ID?', passages, { maxLines: 1 })
  t.match(lines[0]?.sentence, /BoatID/)
})

t.test('words of opposite meaning do not match', async (t) => {
  const passages = [passage('Tides', 'The water level decreases at night. Tourists visit the lighthouse at noon.')]
  t.same(
    extractAnswer('when does the level increase?', passages).filter((extract) => /decreases/.test(extract.sentence) && /increase/.test(extract.sentence)),
    [],
  )
  t.notMatch(answer('increase', passages), /decreases/, 'increase ~ decrease is not a near spelling')
})

t.test('a line that continues the one before it is about what that one names', async (t) => {
  const passages = [
    passage(
      'Lamp',
      'The harbour lamp was repainted by the keeper in a bright red colour last summer, after the long storms of the winter had worn it down. Boats moor at the pier. The harbour lamp is switched on at dusk. It shines 20 miles out to sea.',
    ),
  ]
  t.match(answer('how far does the harbour lamp reach?', passages), /20 miles/, 'the continuing line is found for the words of the line before')
})

t.test('the tail of a contraction is not a question word', async (t) => {
  const passages = [
    passage('Fees', 'You’re welcome to visit the pier any day. The mooring fee is paid to the harbour master.'),
    passage('Boats', 'Boats that are registered are listed on the board.'),
  ]
  t.notMatch(answer("who do I pay if they're registered?", passages), /welcome to visit/)
})

t.test('a line next to the one that repeats the question shares its score, and a heading alone can vouch for a line', async (t) => {
  const ferry = [
    passage(
      'Ferry',
      'The island ferry is popular with the tourists who come to the harbour town every summer for the beaches and the fish market.\nDepartures are every 40 minutes from the north pier.\nCafés line the pier.',
    ),
    passage('Island', 'The island has a red lighthouse.'),
  ]
  const lines = extractAnswer('how often does the island ferry go?', ferry, { maxLines: 2 })
  t.match(lines.map((line) => line.sentence).join('\n'), /every 40 minutes/, 'the neighbour of the line naming the ferry')

  // The best line has no question word, but its section's heading names the topic.
  const penalty = [
    passage('Double-sign penalty', 'It is ten times the block reward, taken from the collateral.'),
    passage('Staking', 'Stakers sign blocks. Fees are low.'),
  ]
  t.match(answer('what is the double-sign penalty?', penalty), /ten times the block reward/)
})

t.test('a "which app / exchange" question prefers the line that names one the question does not', async (t) => {
  const passages = [
    passage(
      'Ferry tickets',
      'Ferry tickets for the island are sold online and at the pier.\nThe booking app for the island ferry is called TideTicket.\nTickets sold online are valid for a whole day.',
    ),
  ]
  const best = extractAnswer('which app sells tickets for the island ferry online?', passages, { maxLines: 1 })
  t.match(best[0]?.sentence, /TideTicket/)
  const german = [passage('Fähre', 'Tickets für die Fähre gibt es online und am Pier.\nDie Fähre wird von der Reederei NordKap betrieben.')]
  t.match(extractAnswer('welcher Anbieter betreibt die Fähre?', german, { maxLines: 1 })[0]?.sentence, /NordKap/)
})

t.test('a "why" question prefers the reason, also when only the heading says it is one', async (t) => {
  const question = 'why does the harbour lamp go dark?'
  const byHeading = [
    passage('Lamp › History', 'The harbour lamp went dark in the great storm.'),
    passage('Lamp › Reason', 'The harbour lamp goes dark when the battery is worn.'),
  ]
  t.match(extractAnswer(question, byHeading, { maxLines: 1 })[0]?.sentence, /battery/)
  const byLine = [passage('Lamp', 'The harbour lamp went dark in the great storm.\nThe harbour lamp goes dark because the battery is worn.')]
  t.match(extractAnswer(question, byLine, { maxLines: 1 })[0]?.sentence, /battery/)
})

t.test('a "why" question finds the reason in its own section after lines that repeat the question', async (t) => {
  const passages = [
    passage('Lamp › Error message', 'The harbour lamp blinks red at night and shows error code 7.\nThe keeper writes it in the log book.'),
    passage('Lamp › Reason for the error', 'Most likely the battery is worn.'),
  ]
  const best = extractAnswer('the harbour lamp blinks red and shows error code 7, what is the likely cause?', passages, { maxLines: 1 })
  t.match(best[0]?.sentence, /battery/)
})

t.test('a best line of ordinary length does not drag the unrelated line after it along', async (t) => {
  const passages = [
    passage(
      'Ferry',
      'The first ferry to the island leaves the north pier at 6:40 every morning.\nSeals rest on the sandbank.\nGulls nest on the roof.\nHerons fish in the reeds.\nThe harbour master says the last one returns at 21:15 on weekdays and later on weekends.',
    ),
  ]
  const lines = extractAnswer('when does the first ferry leave the north pier, and when does the last one return?', passages, { maxLines: 2 }).map(
    (extract) => extract.sentence,
  )
  t.match(lines.join('\n'), /21:15/)
  t.notMatch(lines.join('\n'), /Seals/)
})

t.test('a line that only restates the question yields to the one after it', async (t) => {
  const passages = [
    passage(
      'Pier',
      'The ferry does not leave the north pier during a storm warning.\nBoats wait in the inner basin until the harbour master lifts the warning.\nSeals rest on the pier.',
    ),
  ]
  const best = extractAnswer('ferry does not leave north pier during storm warning', passages, { maxLines: 1 })
  t.match(best[0]?.sentence, /inner basin/)
})

t.test('"e.g." and "z.B." do not end a line', async (t) => {
  const english = [passage('Exchanges', 'Some exchanges sell tickets without a passport (e.g. Harbourbit). Others ask for one.')]
  t.match(extractAnswer('which exchange sells tickets without a passport?', english, { maxLines: 1 })[0]?.sentence, /without a passport \(e\.g\. Harbourbit\)/)
  const german = [passage('Börsen', 'Manche Börsen verkaufen Tickets ohne Ausweis (z.B. Hafenbit). Andere verlangen einen.')]
  t.match(extractAnswer('welche Börse verkauft Tickets ohne Ausweis?', german, { maxLines: 1 })[0]?.sentence, /ohne Ausweis \(z\.B\. Hafenbit\)/)
})

t.test("another page's line joins the answer only when it scores nearly as well", async (t) => {
  const passages: Passage[] = [
    {
      title: 'Ferry',
      url: 'https://wiki.example/Ferry#times',
      heading: 'Times',
      content: 'The island ferry leaves the north pier every 40 minutes.\nThe ferry crossing takes a quarter of an hour.',
    },
    { title: 'Town', url: 'https://wiki.example/Town', heading: 'Town', content: 'The island cafe sells fish to the ferry crew.', weight: 0.75 },
  ]
  const lines = extractAnswer('how often does the island ferry leave, is there a cafe?', passages).map((line) => line.sentence)
  t.match(lines[0], /every 40 minutes/)
  t.notOk(
    lines.some((line) => /cafe/.test(line)),
    'a weaker line of another page is left out, though it has a question word the others lack',
  )
  const sameWeight = extractAnswer('how often does the island ferry leave, is there a cafe?', [passages[0], { ...passages[1], weight: 1 }])
  t.ok(
    sameWeight.some((line) => /cafe/.test(line.sentence)),
    'and joins when it scores nearly as well',
  )
})

t.test('a how-to question takes the short steps after its best line along, in order', async (t) => {
  const passages = [
    passage(
      'Booking',
      'To book a mooring at the harbour, open the harbour app.\nTap the anchor icon\nChoose a night\nConfirm with your card\nThe office also sells maps.',
    ),
    passage('Prices', 'A mooring at the harbour costs 12 coins.\nA mooring in winter is cheaper.\nThe harbour has a mooring for every boat.'),
  ]
  const lines = extractAnswer('how do I book a mooring at the harbour?', passages).map((line) => line.sentence)
  t.same(lines.slice(0, 4), ['To book a mooring at the harbour, open the harbour app.', 'Tap the anchor icon', 'Choose a night', 'Confirm with your card'])
})

t.test('a table row is shown with its header', async (t) => {
  const passages = [passage('Ferries', 'Ferry | Departs | Ticket office\nNorth ferry | 08:00 | Pier 1\nSouth ferry | 09:30 | Pier 4')]
  const [best] = extractAnswer('when does the south ferry depart?', passages, { maxLines: 1 })
  t.equal(best?.sentence, 'Ferry: South ferry · Departs: 09:30 · Ticket office: Pier 4')
})

t.test('a line that only points elsewhere yields to one that says something', async (t) => {
  const passages = [passage('Ferry', 'Ferry timetable information here.\nThe ferry timetable changes twice a year.')]
  t.match(extractAnswer('ferry timetable information', passages, { maxLines: 1 })[0]?.sentence, /changes twice a year/)
  const german = [passage('Fähre', 'Infos zum Fahrplan der Fähre findest du hier.\nDer Fahrplan der Fähre ändert sich zweimal im Jahr.')]
  t.match(extractAnswer('Fahrplan der Fähre infos', german, { maxLines: 1 })[0]?.sentence, /zweimal im Jahr/)
})
