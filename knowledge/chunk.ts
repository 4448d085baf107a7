// Page → chunks along headings: one chunk per section within a size budget,
// long sections split at paragraph then sentence boundaries with a little
// overlap, a short section merged with the subsection that follows it.
import type { Chunk, Page, Section } from './types.ts'
import { sentences } from './text.ts'

export interface ChunkOptions {
  maxChars: number
  overlapChars: number
  /** A section shorter than this takes its first subsection along. */
  minChars: number
}

export const DEFAULT_CHUNKING: ChunkOptions = { maxChars: 1200, overlapChars: 200, minChars: 250 }

export function chunkPage(page: Page, options: ChunkOptions = DEFAULT_CHUNKING): Chunk[] {
  const chunks: Chunk[] = []
  for (const group of mergeTinySections(withDescription(page), options)) {
    const heading = group.headingPath.join(' › ') || page.title
    const url = group.anchor ? `${page.url}#${group.anchor}` : page.url
    for (const content of splitBlocks(group.blocks, options)) chunks.push({ heading, url, content })
  }
  return chunks
}

function withDescription(page: Page): Section[] {
  if (!page.description) return page.sections
  const [first, ...rest] = page.sections
  if (first && first.headingPath.length === 0) return [{ ...first, blocks: [page.description, ...first.blocks] }, ...rest]
  return [{ headingPath: [], blocks: [page.description] }, ...page.sections]
}

function mergeTinySections(sections: Section[], options: ChunkOptions): Section[] {
  const merged: Section[] = []
  for (const section of sections) {
    const last = merged[merged.length - 1]
    const lastSize = last ? size(last.blocks) : Infinity
    const isChild = last !== undefined && last.headingPath.length > 0 && section.headingPath.length > last.headingPath.length
    if (last && isChild && lastSize < options.minChars && lastSize + size(section.blocks) <= options.maxChars) {
      const label = section.headingPath[section.headingPath.length - 1]
      last.blocks = [...last.blocks, `${label}:`, ...section.blocks]
      continue
    }
    merged.push({ ...section, blocks: [...section.blocks] })
  }
  return merged.filter((section) => section.blocks.length > 0)
}

function size(blocks: string[]): number {
  return blocks.reduce((sum, block) => sum + block.length + 1, 0)
}

function splitBlocks(blocks: string[], options: ChunkOptions): string[] {
  // Pieces of a split block leave room for the overlap carried into the next chunk.
  const pieceMax = Math.max(1, options.maxChars - options.overlapChars - 1)
  const pieces = blocks.flatMap((block) => (block.length > pieceMax ? splitLong(block, pieceMax) : [block]))
  const chunks: string[] = []
  let current: string[] = []
  let length = 0
  for (const piece of pieces) {
    if (length > 0 && length + piece.length + 1 > options.maxChars) {
      chunks.push(current.join('\n'))
      const tail = overlapTail(current.join('\n'), options.overlapChars)
      const fits = tail && tail.length + piece.length + 1 <= options.maxChars
      current = fits ? [tail] : []
      length = fits ? tail.length + 1 : 0
    }
    current.push(piece)
    length += piece.length + 1
  }
  if (current.length) chunks.push(current.join('\n'))
  return chunks
}

// Lines (list items, table rows, code) stay lines; a line too long on its own
// is cut at sentence boundaries.
function splitLong(block: string, maxChars: number): string[] {
  const out: string[] = []
  let current = ''
  for (const line of block.split('\n')) {
    if (!line.trim()) continue
    let separator = current ? '\n' : ''
    for (const sentence of line.length > maxChars ? sentences(line) : [line]) {
      for (let start = 0; start < sentence.length; start += maxChars) {
        const part = sentence.slice(start, start + maxChars)
        if (current && current.length + part.length + 1 > maxChars) {
          out.push(current)
          current = ''
          separator = ''
        }
        current = current ? `${current}${separator}${part}` : part
        separator = ' '
      }
    }
  }
  if (current) out.push(current)
  return out
}

// The last whole sentence(s) of a chunk, up to the overlap budget, repeated at
// the start of the next so a fact cut at the boundary is still found whole.
function overlapTail(text: string, budget: number): string {
  const all = sentences(text)
  const tail: string[] = []
  let length = 0
  for (let index = all.length - 1; index >= 0; index--) {
    if (length + all[index].length > budget) break
    tail.unshift(all[index])
    length += all[index].length + 1
  }
  return tail.join(' ')
}
