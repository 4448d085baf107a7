// Extractive answering: the sentence of the retrieved passages that best
// matches a question (matched words weighted by rarity among the candidates,
// the passage's heading counting too), with the sentences that follow it,
// since a lead-in ("Run the following command:") is often followed by the fact.
import { contentWords, sentences } from './text.ts'

export interface Passage {
  title: string
  url: string
  heading: string
  content: string
}

export interface Extract {
  passage: number
  sentence: string
}

const MIN_PREFIX = 5

interface Candidate {
  passage: number
  position: number
  sentence: string
  score: number
}

/** Best sentences (in reading order) within a character budget; empty when nothing matches. */
export function extractAnswer(question: string, passages: Passage[], budget = 600): Extract[] {
  const query = [...new Set(contentWords(question))]
  if (!query.length) return []
  const raw = passages.flatMap((passage, index) =>
    sentences(passage.content).map((sentence, position) => ({ passage: index, position, sentence, words: new Set(contentWords(sentence)) })),
  )
  const wantsNumber = QUANTITY.test(question)
  const headings = passages.map((passage) => new Set(contentWords(passage.heading)))
  const df = new Map(query.map((word) => [word, raw.filter((candidate) => matches(word, candidate.words)).length]))
  const idf = (word: string) => Math.log(1 + raw.length / (1 + (df.get(word) ?? 0)))
  const candidates: Candidate[] = raw.map((candidate) => {
    let score = 0
    for (const word of query) {
      if (matches(word, candidate.words)) score += idf(word)
      else if (matches(word, headings[candidate.passage])) score += 0.3 * idf(word)
    }
    // Better-ranked passages first; a bare fragment says little on its own.
    score *= 1 / (1 + 0.2 * candidate.passage)
    if (candidate.sentence.length < 25) score *= 0.6
    if (wantsNumber && /\d/.test(candidate.sentence)) score *= 1.3
    return { passage: candidate.passage, position: candidate.position, sentence: candidate.sentence, score }
  })
  const ranked = [...candidates].sort((a, b) => b.score - a.score)
  const best = ranked[0]
  if (!best || best.score <= 0) return []
  const chosen = new Set<Candidate>([best])
  let used = best.sentence.length
  const take = (candidate: Candidate | undefined) => {
    if (!candidate || chosen.has(candidate) || used + candidate.sentence.length > budget) return false
    chosen.add(candidate)
    used += candidate.sentence.length
    return true
  }
  const following = candidates.filter((candidate) => candidate.passage === best.passage && candidate.position > best.position)
  for (const candidate of following.slice(0, 2)) if (!take(candidate)) break
  for (const candidate of ranked.slice(1, 4)) if (candidate.score >= best.score * 0.7) take(candidate)
  return [...chosen]
    .sort((a, b) => a.passage - b.passage || a.position - b.position)
    .map(({ passage, sentence }) => ({ passage, sentence }))
}

// Same word, same stem (shared first five letters: multiplier ~ multiplyer),
// an abbreviation (max ~ maximum), or part of a compound (rewards ~ blockrewards).
function matches(word: string, words: Set<string>): boolean {
  if (words.has(word)) return true
  const prefix = word.slice(0, MIN_PREFIX)
  for (const candidate of words) {
    if (word.length >= MIN_PREFIX && candidate.length >= MIN_PREFIX && candidate.startsWith(prefix)) return true
    if (word.length >= 3 && candidate.length > word.length && candidate.startsWith(word)) return true
    if (word.length >= 6 && candidate.length > word.length + 3 && candidate.endsWith(word)) return true
  }
  return false
}

// Questions after an amount, a duration or a date are answered by a sentence with a number.
const QUANTITY = /\b(how (much|many|long|often|far|quickly|fast)|max(imum)?|min(imum)?|when|what (year|date|time)|wie (viel|viele|lange|oft|hoch|schnell)|wann)\b/i

/** A passage cut to its most relevant sentences, kept in order, within a budget. */
export function compactPassage(question: string, passage: Passage, budget: number): string {
  if (passage.content.length <= budget) return passage.content
  const picked = extractAnswer(question, [passage], budget)
  if (!picked.length) return `${passage.content.slice(0, budget - 1)}…`
  return picked.map((extract) => extract.sentence).join(' ')
}
