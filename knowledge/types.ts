// Shared shapes of the knowledge base: a page as extracted from its source, the
// chunks it is cut into, and what a search returns.

/** A block of plain text under one heading of a page. */
export interface Section {
  /** Headings from the page's top level down to this section; empty for the intro. */
  headingPath: string[]
  /** The id of the section's heading, for deep links. */
  anchor?: string
  blocks: string[]
}

export interface Page {
  /** Stable key within its origin: a relative file path or a page URL. */
  source: string
  title: string
  description?: string
  /** Link to the page without a fragment. */
  url: string
  lang: string
  sections: Section[]
}

export interface Chunk {
  heading: string
  url: string
  content: string
}

export interface SearchHit {
  source: string
  title: string
  url: string
  heading: string
  score: number
  content: string
  lang: string
}

export interface SearchOptions {
  k?: number
  lang?: string
  /** Passages allowed from one page (default 1, so one page does not crowd out the rest). */
  perPage?: number
}

/** A failure the user can act on; its message is meant to be shown as is. */
export class KnowledgeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KnowledgeError'
  }
}
