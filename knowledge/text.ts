// Small text utilities shared by the embedder, the chunker and the answerer.

/** Lowercase, fold diacritics (ä → a, ß → ss) so spelling variants meet. */
export function fold(text: string): string {
  return text
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
}

export function words(text: string): string[] {
  return fold(text).match(/[\p{L}\p{N}]+/gu) ?? []
}

const EN_STOP = new Set(
  'a an the and or but if of to in on at by for with from as is are was were be been being it its this that these those i me my you your we our they them their he she his her do does did done have has had having can could should would will shall may might must not no so than then there here what which who whom whose when where why how all any some each about into over under again further once also just only very too up down out off own same such both few more most other s t don doesn isn aren wasn weren im ive'.split(
    ' ',
  ),
)

const DE_STOP = new Set(
  'der die das den dem des ein eine einer eines einem einen und oder aber wenn als wie im in an auf aus bei mit nach von vor zu zum zur uber unter fur ist sind war waren wird werden wurde wurden sein bin bist hat haben hatte ich du er sie es wir ihr man mich mir dich dir sich mein meine dein deine sein seine unser nicht kein keine auch noch nur schon so da dass dann denn doch ja nein was wer wo wann warum wieso welche welcher welches muss mussen kann konnen soll sollte will diese dieser dieses dies um bis durch gegen ohne sehr mehr viel alle alles'.split(
    ' ',
  ),
)

export function isStopword(word: string): boolean {
  return EN_STOP.has(word) || DE_STOP.has(word)
}

/** Light English/German suffix folding for matching: plurals and simple inflections meet. */
export function stem(word: string): string {
  if (word.length <= 4 || /^\d/.test(word)) return word
  return word.replace(/(ungen|ung|ing|ed|es|en|er|em|e|s|n|ly)$/, '')
}

/** Words worth matching: no stopwords, no single letters. */
export function contentWords(text: string): string[] {
  return words(text).filter((word) => word.length > 1 && !isStopword(word))
}

// Cheap language guess: German when its function words, umlauts or ß
// outweigh English ones. Short or mixed text stays English.
const DE_HINTS = new Set(
  'der die das und ist nicht ich wie was wo warum wieso welche welcher welches muss kann meine mein sind wird werden mit auf fur uber einen eine ein den dem des zu zum zur bei oder auch wenn dass sich man habe hat kein keine gibt lange dauert brauche'.split(
    ' ',
  ),
)
const EN_HINTS = new Set(
  'the and is not how what where why which can my are will with on for about a an of to do does i it in you your when there this that have has'.split(' '),
)

export function detectLanguage(text: string): 'en' | 'de' {
  let de = /[äöüß]/i.test(text) ? 2 : 0
  let en = 0
  for (const word of text.toLowerCase().match(/[\p{L}]+/gu) ?? []) {
    if (DE_HINTS.has(word)) de++
    if (EN_HINTS.has(word)) en++
  }
  return de > en ? 'de' : 'en'
}

/** Split text into sentences, keeping list lines and short fragments whole. */
export function sentences(text: string): string[] {
  const out: string[] = []
  for (const line of text.split(/\n+/)) {
    const trimmed = line.trim()
    if (!trimmed) continue
    for (const piece of trimmed.split(/(?<=[.!?])\s+(?=[\p{Lu}\d"'(„])/u)) {
      if (piece.trim()) out.push(piece.trim())
    }
  }
  return out
}

/** Docusaurus-style slug for a heading without an explicit {#id}. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}
