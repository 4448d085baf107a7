// Extractive answering: the lines of the retrieved passages that best answer a
// question. Candidates are sentences, list items, table rows and code lines (a
// lead-in ending in ":" travels with the line after it). Each is scored
// BM25-style on the question's words (rarity measured over all candidates,
// light stemming, compounds, near spellings), its heading counting a little
// and a line that continues the one before ("It …") borrowing half of that
// one's words, weighted by how well its passage ranked. The best one is kept
// with what continues it, then others that cover question words it missed or
// score nearly as well, within a small budget.
import { contentWords, detectLanguage, sentences, stem } from './text.ts'

export interface Passage {
  title: string
  url: string
  heading: string
  content: string
  /** Retrieval weight (1 for the best passage, less for later ones); by default from the passage's position. */
  weight?: number
}

export interface Extract {
  passage: number
  sentence: string
}

export interface ExtractOptions {
  /** Characters of answer text. */
  budget?: number
  /** Lines in the answer. */
  maxLines?: number
}

export interface Candidate {
  /** Order among all candidate lines. */
  index: number
  passage: number
  position: number
  sentence: string
  words: string[]
  score: number
  /** Question words this line matches, with how well (0..1). */
  matched: Map<string, number>
}

// The tail of "they're", "we'll", "I've", "it'd", "I'm": no word of its own.
const CONTRACTION = /['’](re|ll|ve|d|m)\b/gi

const K1 = 1.2
const B = 0.5
/** Share of a question word's weight earned when only the line's heading has it. */
const HEADING_SHARE = 0.7
/** How much less a line earns for a question word its heading already has. */
const HEADING_DISCOUNT = 0.6
/** Share of a question word's match a continuing line borrows from the line before it. */
const CARRIED_SHARE = 0.5
/** A line scoring this share of the best one is kept even when it adds no question word. */
const NEARLY_AS_GOOD = 0.6
/** A line of another page than the best line's joins only when it scores this share of the best one. */
const OTHER_PAGE_SHARE = 0.5
/** Lines after the best one a how-to question takes along, while each is a short step. */
const STEPS = 3
const STEP_LENGTH = 160
/** A best line shorter than this takes the next line along. */
const SHORT_LINE = 60
/** Lines either side of a line, in its passage, whose score it partly shares. */
const NEIGHBOURHOOD = 2
/** Share of the best neighbour's score a line adds to its own. */
const NEIGHBOUR_SHARE = 0.6
/** Factor for a line with the kind of content the question asks for (a number, a path, a command). */
const KIND_BOOST = 1.8
/** Factor for a line naming something new when the question asks which. */
const NAME_BOOST = 1.5
/** Factor for a line giving a reason, or under a "Reason" heading, when the question asks why: the reason seldom repeats the question's words. */
const REASON_BOOST = 2.5
/** A line is an echo of the question when this share of its distinct words are question words … */
const ECHO_SHARE = 0.8
/** … and then counts this much (its neighbours still share its full score). */
const ECHO_FACTOR = 0.5
/** A line that points elsewhere ("see …", "information here") counts this much. */
const POINTER_FACTOR = 0.5
/** A line longer than this is cut to the window around its matches. */
const LONG_LINE = 360

/**
 * Question words considered: a long message is cut to its first distinct ones,
 * so the work per message is bounded whatever its length.
 */
export const MAX_QUERY_WORDS = 24
/** Candidate lines scored, in passage order (the weakest passages' last lines go first). */
export const MAX_CANDIDATES = 800

/** Best lines in reading order (passage, then position) within a budget; empty when nothing matches. */
export function extractAnswer(question: string, passages: Passage[], options: ExtractOptions = {}): Extract[] {
  const budget = options.budget ?? 600
  const maxLines = options.maxLines ?? 5
  const ranked = rankLines(question, passages)
  // Nothing to say when no line has a question word; otherwise the best line
  // may be one its section's heading or its neighbours vouch for.
  const best = ranked[0]
  if (!best || best.score <= 0 || !ranked.some((candidate) => candidate.matched.size > 0)) return []
  const candidates = [...ranked].sort((a, b) => a.index - b.index)
  const chosen: Candidate[] = []
  let used = 0
  const take = (candidate: Candidate | undefined) => {
    if (!candidate || chosen.includes(candidate) || chosen.length >= maxLines) return false
    const length = Math.min(candidate.sentence.length, LONG_LINE)
    if (chosen.length && used + length > budget) return false
    chosen.push(candidate)
    used += length
    return true
  }
  take(best)
  // What continues the best line: the next line when the best one is short,
  // leads in, or the next one picks up its thread (lowercase, list item, "It", "This").
  const next = candidates.find((candidate) => candidate.passage === best.passage && candidate.position === best.position + 1)
  if (next && (best.sentence.length < SHORT_LINE || /:$/.test(best.sentence) || continues(next.sentence))) take(next)
  // A how-to is answered by its steps: the short lines that follow, in order.
  if (PROCEDURE.test(question)) {
    for (const candidate of candidates) {
      if (candidate.passage !== best.passage || candidate.position <= best.position + 1) continue
      if (candidate.position > best.position + STEPS || candidate.sentence.length > STEP_LENGTH) break
      if (!take(candidate)) break
    }
  }
  // Then lines that cover question words the chosen ones missed, or score nearly as well.
  const covered = () => new Set(chosen.flatMap((candidate) => [...candidate.matched.keys()]))
  for (const candidate of ranked.slice(1, 12)) {
    if (chosen.length >= maxLines) break
    if (candidate.score < best.score * 0.4) break
    const known = covered()
    const adds = [...candidate.matched.keys()].some((word) => !known.has(word))
    // Another page's line must earn its place: an answer from one page reads better.
    const elsewhere = pageOf(passages[candidate.passage].url) !== pageOf(passages[best.passage].url)
    if (elsewhere && candidate.score < best.score * OTHER_PAGE_SHARE) continue
    if (adds || candidate.score >= best.score * NEARLY_AS_GOOD) take(candidate)
  }
  return chosen
    .sort((a, b) => a.passage - b.passage || a.position - b.position)
    .map(({ passage, sentence, matched }) => ({ passage, sentence: shorten(sentence, [...matched.keys()]) }))
}

/** Every candidate line of the passages with its score, best first. */
export function rankLines(question: string, passages: Passage[]): Candidate[] {
  const { query, wordMatches } = matcherFor(question)
  if (!query.length) return []
  const lineMatches = (words: string[]) => {
    const best = new Float64Array(query.length)
    for (const other of words) {
      const matches = wordMatches(other)
      for (let q = 0; q < query.length; q++) if (matches[q] > best[q]) best[q] = matches[q]
    }
    return best
  }
  const candidates = collectCandidates(passages).slice(0, MAX_CANDIDATES)
  if (!candidates.length) return []

  const inLines = candidates.map((candidate) => lineMatches(candidate.words))
  const inHeadings = passages.map((passage) => lineMatches(contentWords(`${passage.heading} ${passage.title}`)))
  // Rarity of each question word among the candidate lines: a word on every line tells nothing.
  const idf = query.map((_, q) => Math.log(1 + (candidates.length + 1) / (1 + inLines.filter((line) => line[q] >= 0.8).length)))
  const averageLength = candidates.reduce((sum, candidate) => sum + candidate.words.length, 0) / candidates.length || 1
  const wants = answerKinds(question, new Set(query))

  const raw = new Float64Array(candidates.length)
  candidates.forEach((candidate, index) => {
    // A line that picks up the previous one's thread ("It's value increases…") is about what that one names.
    const previous = candidates[index - 1]
    const before = previous?.passage === candidate.passage && continues(candidate.sentence) ? inLines[index - 1] : undefined
    const norm = K1 * (1 - B + (B * candidate.words.length) / averageLength)
    let score = 0
    query.forEach((word, q) => {
      const inLine = Math.max(inLines[index][q], CARRIED_SHARE * (before?.[q] ?? 0))
      const inHeading = inHeadings[candidate.passage][q]
      if (inLine > 0) candidate.matched.set(word, inLine)
      // A word the heading already names tells the section's lines apart less.
      const lineScore = ((inLine * (K1 + 1)) / (inLine + norm)) * (1 - HEADING_DISCOUNT * inHeading)
      score += idf[q] * Math.max(lineScore, HEADING_SHARE * inHeading)
    })
    const passage = passages[candidate.passage]
    score *= passage.weight ?? 1 / (1 + 0.2 * candidate.passage)
    // Earlier lines of a section tend to state its point.
    score *= 1 - Math.min(0.15, candidate.position * 0.01)
    if (candidate.words.length < 3 && !/\d/.test(candidate.sentence)) score *= 0.6
    let answers = false
    for (const want of wants) if (want.test(candidate.sentence, passage.heading)) ((score *= want.boost), (answers = true))
    raw[index] = score
    // A line made mostly of the question's own words restates it rather than answering it.
    if (!answers && echoes(candidate.words, wordMatches)) score *= ECHO_FACTOR
    // A pointer elsewhere ("See separate wiki entry", "Information here") answers nothing itself.
    if (POINTER.test(candidate.sentence)) score *= POINTER_FACTOR
    candidate.score = score
  })
  // A line next to strong lines of its section is likely about the same point
  // (the answer often follows the line that repeats the question's words).
  const own = candidates.map((candidate) => candidate.score)
  const lent = [...raw]
  candidates.forEach((candidate, index) => {
    let near = 0
    for (let other = Math.max(0, index - NEIGHBOURHOOD); other <= Math.min(candidates.length - 1, index + NEIGHBOURHOOD); other++) {
      if (other !== index && candidates[other].passage === candidate.passage) near = Math.max(near, lent[other])
    }
    candidate.score = own[index] + NEIGHBOUR_SHARE * near
  })
  return [...candidates].sort((a, b) => b.score - a.score || a.index - b.index)
}

interface Matcher {
  /** The question's distinct words considered. */
  query: string[]
  /** How well a word matches each question word (0..1). */
  wordMatches(word: string): Float64Array
}

// One answer ranks the same question's lines several times (its pages, its
// lines, the passages for a model): the last question's word matches are kept.
let lastMatcher: { question: string; matcher: Matcher } | undefined

function matcherFor(question: string): Matcher {
  if (lastMatcher?.question === question) return lastMatcher.matcher
  const asked = contentWords(question.replace(CONTRACTION, ''))
  const query = [...new Set(asked)].slice(0, MAX_QUERY_WORDS)
  // Two question words written as one elsewhere ("masternode ID" ~ "MasternodeID", "Block Rewards" ~ "Blockrewards").
  const joined = new Map(query.map((word) => [word, new Set<string>()]))
  asked.slice(1).forEach((word, index) => {
    const compound = asked[index] + word
    joined.get(word)?.add(compound)
    joined.get(asked[index])?.add(compound)
  })
  // Each distinct word of the lines is compared with the question's words once
  // (lines share most of their words); a line's match per question word is the
  // best of its words'.
  const queryWords = query.map(queryWord)
  const vocabulary = new Map<string, Float64Array>()
  const wordMatches = (other: string) => {
    let known = vocabulary.get(other)
    if (!known) {
      const otherStem = stem(other)
      known = new Float64Array(query.length)
      query.forEach((word, q) => (known![q] = joined.get(word)!.has(other) ? 1 : wordSimilarity(queryWords[q], other, otherStem)))
      vocabulary.set(other, known)
    }
    return known
  }
  const matcher = { query, wordMatches }
  lastMatcher = { question, matcher }
  return matcher
}

/**
 * How much of a text (a page title) the question names: the share of the
 * text's distinct content words some question word matches, each by how well.
 */
export function coverage(question: string, text: string): number {
  const { query } = matcherFor(question)
  const named = [...new Set(contentWords(text))]
  if (!query.length || !named.length) return 0
  const asked = query.map(queryWord)
  const total = named.reduce((sum, word) => {
    const wordStem = stem(word)
    return sum + Math.max(...asked.map((one) => wordSimilarity(one, word, wordStem)))
  }, 0)
  return total / named.length
}

/** A passage cut to its most relevant lines, kept in order, within a budget. */
export function compactPassage(question: string, passage: Passage, budget: number): string {
  if (passage.content.length <= budget) return passage.content
  const picked = extractAnswer(question, [{ ...passage, weight: 1 }], { budget, maxLines: 12 })
  if (!picked.length) return `${passage.content.slice(0, budget - 1)}…`
  return picked
    .map((extract) => extract.sentence)
    .join('\n')
    .slice(0, budget)
}

// Lines of every passage, a lead-in ("Run this command:") joined to the line it
// introduces; a line repeated by chunk overlap counts once, where it ranked best.
function collectCandidates(passages: Passage[]): Candidate[] {
  const seen = new Set<string>()
  const out: Candidate[] = []
  passages.forEach((passage, index) => {
    let position = 0
    for (const { sentence, key, words } of passageLines(passage.content)) {
      if (seen.has(key)) continue
      seen.add(key)
      out.push({ index: out.length, passage: index, position: position++, sentence, words, score: 0, matched: new Map() })
    }
  })
  return out
}

interface PassageLine {
  sentence: string
  /** The sentence in lower case: lines repeated by chunk overlap are told apart by it. */
  key: string
  /** Its content words; shared by every ranking of the passage, so never changed. */
  words: string[]
}

// A passage's lines depend on its text alone, and one answer ranks the same
// passages several times (and popular pages come back): the last few hundred
// passages' lines are kept rather than split and tokenised again.
const PASSAGE_LINES_KEPT = 500
const linesByContent = new Map<string, PassageLine[]>()

function passageLines(content: string): PassageLine[] {
  const kept = linesByContent.get(content)
  if (kept) return kept
  const lines = withTableHeaders(joinAbbreviations(sentences(content)))
  const out: PassageLine[] = []
  for (let line = 0; line < lines.length; line++) {
    let { text: sentence, scored } = lines[line]
    const following = lines[line + 1]
    if (/:$/.test(sentence) && following && sentence.length + following.text.length < 300) {
      sentence = `${sentence}\n${following.text}`
      scored = `${scored}\n${following.scored}`
      line++
    }
    out.push({ sentence, key: sentence.toLowerCase(), words: contentWords(scored) })
  }
  if (linesByContent.size >= PASSAGE_LINES_KEPT) linesByContent.delete(linesByContent.keys().next().value!)
  linesByContent.set(content, out)
  return out
}

// Most of the line's distinct words are question words (and it has a few).
function echoes(words: string[], wordMatches: (word: string) => Float64Array): boolean {
  const distinct = [...new Set(words)]
  if (distinct.length < 3) return false
  const asked = distinct.filter((word) => wordMatches(word).some((match) => match >= 0.8)).length
  return asked >= ECHO_SHARE * distinct.length
}

// A table row is shown as "Header: cell · Header: cell" (a bare row of cells
// says little); it is scored on its own cells, and the header row itself
// goes, since every row now carries it.
interface Line {
  text: string
  scored: string
}

function withTableHeaders(lines: string[]): Line[] {
  const out: Line[] = []
  const cellsOf = (line: string | undefined) => (line?.includes(' | ') ? line.split(/\s*\|\s*/) : undefined)
  let header: string[] | undefined
  lines.forEach((line, index) => {
    const cells = cellsOf(line)
    if (cells && header?.length === cells.length) {
      const labelled = cells.map((cell, column) => (cell && header![column] ? `${header![column]}: ${cell}` : cell)).filter(Boolean)
      out.push({ text: labelled.join(' · '), scored: line })
      return
    }
    header = cells && cellsOf(lines[index + 1])?.length === cells.length ? cells : undefined
    if (!header) out.push({ text: line, scored: line })
  })
  return out
}

// "e.g." and "z.B." end no sentence: the piece after one belongs to the line before.
const ABBREVIATION = /\b(e\.g|i\.e|z\.\s?B|d\.h|u\.a|bzw|ca|vs|approx|incl|inkl|Nr|No)\.$/i

function joinAbbreviations(lines: string[]): string[] {
  const out: string[] = []
  for (const line of lines) {
    const last = out.length - 1
    if (last >= 0 && ABBREVIATION.test(out[last])) out[last] = `${out[last]} ${line}`
    else out.push(line)
  }
  return out
}

function pageOf(url: string): string {
  return url.replace(/#.*$/, '')
}

function continues(sentence: string): boolean {
  return /^\p{Ll}/u.test(sentence) || /^(it|its|it's|this|that|these|then|so|es|dies|das|dann|damit|dazu)\b/i.test(sentence)
}

// Same word or stem 1; one slip in a long word, or a syllable inserted into it,
// 0.8 (impermanant ~ impermanent, einstuft ~ eingestuft); shared first five
// letters 0.8 (multiplier ~ multiplyer); an abbreviation or part of a compound
// 0.6 (max ~ maximum, devs ~ developers, rewards ~ blockrewards), either way
// round (zuletzt ~ letztes, zuerst ~ erst).
/** A question word with what every comparison of it needs, worked out once. */
interface QueryWord {
  word: string
  stem: string
  /** Its first five letters, when it has five. */
  prefix: string | undefined
  /** Without a plural "s" (a word of four letters or more). */
  short: string
}

function queryWord(word: string): QueryWord {
  return { word, stem: stem(word), prefix: word.length >= 5 ? word.slice(0, 5) : undefined, short: word.length >= 4 ? word.replace(/s$/, '') : word }
}

function wordSimilarity({ word, stem: wordStem, prefix, short }: QueryWord, candidate: string, candidateStem: string): number {
  if (candidate === word || candidateStem === wordStem) return 1
  if (prefix !== undefined && candidate.startsWith(prefix)) return 0.8
  if (nearlySame(word, candidate)) return 0.8
  if (short.length >= 3 && candidate.length > short.length && candidate.startsWith(short)) return 0.6
  if (word.length >= 5 && candidate.length > word.length + 3 && candidate.endsWith(word)) return 0.6
  if (candidateStem.length >= 4 && word.length > candidateStem.length + 1 && word.endsWith(candidateStem)) return 0.6
  return 0
}

// Long words one edit apart, or two letters inserted (a German "ge", a typo).
// With equal lengths one edit is one changed letter; with lengths one or two
// apart, that many edits are only insertions: the shorter word read in order
// inside the longer one. Either is one pass, no table.
function nearlySame(a: string, b: string): boolean {
  if (Math.min(a.length, b.length) < 6 || Math.abs(a.length - b.length) > 2) return false
  if (a.length === b.length) return differsInOneLetterAtMost(a, b)
  return a.length < b.length ? readsInside(a, b) : readsInside(b, a)
}

function differsInOneLetterAtMost(a: string, b: string): boolean {
  let differences = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && ++differences > 1) return false
  return true
}

function readsInside(short: string, long: string): boolean {
  let at = 0
  for (let i = 0; i < long.length && at < short.length; i++) if (long[i] === short[at]) at++
  return at === short.length
}

// What the question asks for, each with a test of a line that has it: an
// amount or date wants a number; "where" a path, link or menu; a command
// question a command; "which app/exchange/…" a name the question does not
// already say; "why" a reason (or a line under a "Reason" heading). English
// and German. (Boosting yes/no lines and comparisons measured worse.)
interface Want {
  test(line: string, heading: string): boolean
  boost: number
}

function answerKinds(question: string, queryWords: Set<string>): Want[] {
  const wants: Want[] = []
  const german = detectLanguage(question) === 'de'
  if (QUANTITY.test(question)) wants.push({ test: (line) => /\d/.test(line), boost: KIND_BOOST })
  if (/\b(where|wo|wohin)\b/i.test(question)) wants.push({ test: (line) => /[\\/]|https?:|>|→/.test(line), boost: KIND_BOOST })
  if (/\b(command|befehl|cli|console|konsole|terminal)\b/i.test(question))
    wants.push({ test: (line) => /^[a-z][\w-]+(\s|$)|`|\w+\s+"[^"]*"/.test(line), boost: KIND_BOOST })
  if (NAME.test(question) && !wants.length) wants.push({ test: (line) => namesSomethingNew(line, queryWords, german), boost: NAME_BOOST })
  if (REASON.test(question)) wants.push({ test: (line, heading) => REASON_LINE.test(line) || REASON_HEADING.test(heading), boost: REASON_BOOST })
  return wants
}

const QUANTITY =
  /\b(how (much|many|long|often|far|quickly|fast|high|big|soon)|max(imum)?|min(imum)?|when|what (year|date|time)|wie (viel|viele|lange|oft|hoch|schnell|weit|bald)|wann|seit wann)\b/i
const POINTER =
  /^[-*•]?\s*(see( also)?|siehe( auch)?|more (info|information|details)|mehr (infos?|informationen|dazu)|further information|weitere informationen|information here|infos? hier)\b|\b(here|hier)\.?$|\bhier\b.{0,40}\b(findest|gibt es|lesen)\b/i
const PROCEDURE = /\b(how (do|can|to|should|would) |what (should|do|can) i do|steps?\b|wie (kann|muss|soll|mache|bekomme|gehe|lasse)|was (muss|soll|kann) ich)/i
// "Which app / exchange / network …": a thing with a name (not "which command", not "which share").
const NAME =
  /\b(which|what|welche[rmns]?|mit welche[rmn]?)\s+(\w+\s+)?(tools?|apps?|applications?|services?|exchanges?|networks?|chains?|blockchains?|platforms?|websites?|sites?|programs?|software|wallets?|computers?|devices?|hardware|providers?|compan(y|ies)|ai|ki|options?|netzwerk\w*|plattform\w*|anbieter\w*|börsen?|geräte?|rechner|programm\w*|webseiten?|seiten?)\b/i
const REASON = /\b(why|reason|cause|risky|warum|wieso|weshalb|grund|ursache)\b/i
const REASON_LINE = /\b(because|since|due to|reason|caused?|otherwise|so that|in order to|to avoid|risk\w*|useful|weil|denn|deshalb|daher|sonst|grund|ursache|damit)\b/i
const REASON_HEADING = /\b(reason|cause|why|background|grund|ursache|warum|hintergrund)/i
// A name the question does not say yet: a term in quotes or backticks, an
// acronym or camel-cased word (GPT, AppImage), or (in English, where only
// names are capitalised) a capitalised word inside the sentence.
function namesSomethingNew(line: string, queryWords: Set<string>, german: boolean): boolean {
  const novel = (term: string) => contentWords(term).some((word) => !queryWords.has(word))
  for (const match of line.matchAll(/['"„“‘`]([^'"“”‘’`\n]{2,40})['"“”’`]/g)) if (novel(match[1])) return true
  for (const match of line.matchAll(/\b(\p{Lu}{2,}[\p{L}\d-]*|\p{L}+\p{Ll}\p{Lu}[\p{L}\d]*)/gu)) if (novel(match[1])) return true
  if (german) return false
  for (const match of line.matchAll(/(?<=[\p{L}\d,;:.)]\s+|\()(\p{Lu}\p{Ll}{2,}[\p{L}\d]*)/gu)) if (novel(match[1])) return true
  return false
}

// A very long line (a table row, a paragraph without full stops) is cut to the
// stretch around the first question word it contains.
function shorten(sentence: string, matched: string[]): string {
  if (sentence.length <= LONG_LINE) return sentence
  const lower = sentence.toLowerCase()
  const at = Math.min(...matched.map((word) => lower.indexOf(word.slice(0, 5))).filter((index) => index >= 0), sentence.length)
  const start = Math.max(0, Math.min(at - 120, sentence.length - LONG_LINE))
  const piece = sentence.slice(start, start + LONG_LINE).trim()
  return `${start > 0 ? '…' : ''}${piece}${start + LONG_LINE < sentence.length ? '…' : ''}`
}
