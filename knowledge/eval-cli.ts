// npm run eval -- <file.jsonl> [more.jsonl …] [--misses tune|held-out|all|none]
// Retrieval (recall@5, MRR@10 by gold page), whether the answer's first line
// comes from a gold page (answer page), and the answer a user actually gets: each question goes through the offline agent with every tool, as the
// server wires them, with Ocean pointed at a closed loopback port so chain-data
// tools fail at once. An answer is correct when it matches ALL of the
// question's answer_patterns. Figures per file, split, difficulty and language;
// misses list the route and the page and lines the wiki chose.
//
// Split: a question is held out when the first 32 bits of sha256(id), mod 100,
// are below HELD_OUT_PERCENT; tune answering on the rest only.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import pino from 'pino'
import { loadConfig } from '../server/config.ts'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { createKnowledgeBase } from './index.ts'
import { KnowledgeError } from './types.ts'
import { mathTool } from '../tools/math.ts'
import { createOceanTools } from '../tools/ocean/index.ts'
import { createWikiTool, type WikiResult } from '../tools/wiki.ts'
import { createOfflineAgent } from '../agent/offline.ts'
import type { Tool } from '../tools/types.ts'

interface Question {
  id: string
  lang: string
  question: string
  gold_docs: string[]
  answer_patterns: string[]
  difficulty?: string
}

interface Outcome {
  file: string
  id: string
  split: 'tune' | 'held-out'
  lang: string
  difficulty: string
  question: string
  gold: string[]
  /** Patterns the answer did not match. */
  missed: string[]
  rank: number | undefined
  /** The answer's first line is from a gold page. */
  goldPage: boolean
  correct: boolean
  tools: string[]
  wiki: boolean
  answer: string
  wikiResult?: WikiResult
}

const HELD_OUT_PERCENT = 30
/** Nothing listens on port 1: chain-data tools get "connection refused" at once. */
const UNREACHABLE_OCEAN = 'http://127.0.0.1:1'
const MISS_FILTERS = ['tune', 'held-out', 'all', 'none'] as const
type MissFilter = (typeof MISS_FILTERS)[number]

function splitOf(id: string): 'tune' | 'held-out' {
  const bucket = createHash('sha256').update(id).digest().readUInt32BE(0) % 100
  return bucket < HELD_OUT_PERCENT ? 'held-out' : 'tune'
}

function parseArgs(argv: string[]): { files: string[]; misses: MissFilter } | undefined {
  const files: string[] = []
  let misses: MissFilter = 'all'
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--misses') {
      const value = argv[++i] as MissFilter
      if (!MISS_FILTERS.includes(value)) return undefined
      misses = value
    } else files.push(argv[i])
  }
  return files.length ? { files, misses } : undefined
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  if (!args) {
    console.error('Usage: npm run eval -- <questions.jsonl> [more.jsonl …] [--misses tune|held-out|all|none]')
    return 2
  }
  const sets: { file: string; questions: Question[] }[] = []
  for (const file of args.files) {
    try {
      const questions = (await readFile(file, 'utf8'))
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as Question)
      sets.push({ file: basename(file), questions })
    } catch (error) {
      console.error(`Could not read ${file}: ${(error as Error).message}`)
      return 2
    }
  }
  const config = loadConfig()
  const log = pino({ level: 'silent' })
  const db = await connectDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  try {
    await migrate(db.sql)
    const kb = createKnowledgeBase({ sql: db.sql, config, log })
    if (!(await kb.languages()).length) {
      console.error('The knowledge base is empty; ingest first, e.g. npm run ingest -- https://www.defichainwiki.com/sitemap.xml')
      return 1
    }
    // The wiki tool as the server has it, recording what it returned for the miss list.
    let lastWiki: WikiResult | undefined
    const wiki = createWikiTool(kb)
    const recordingWiki: Tool = { ...wiki, run: async (toolArgs, context) => (lastWiki = await wiki.run(toolArgs, context)) }
    const tools = [mathTool, ...createOceanTools({ url: UNREACHABLE_OCEAN, network: 'mainnet', timeoutMs: 1000, log }), recordingWiki]
    const agent = createOfflineAgent(tools)

    const outcomes: Outcome[] = []
    const started = Date.now()
    for (const { file, questions } of sets) {
      for (const question of questions) {
        const hits = await kb.search(question.question, { k: 10 })
        const gold = new Set(question.gold_docs)
        const index = hits.findIndex((hit) => gold.has(basename(hit.source)))
        lastWiki = undefined
        const result = await agent.run({ message: question.question, history: [], signal: AbortSignal.timeout(30_000), log, emit: () => {} })
        const missed = question.answer_patterns.filter((pattern) => !new RegExp(pattern, 'i').test(result.answer))
        const firstLine = (lastWiki as WikiResult | undefined)?.highlights[0]
        outcomes.push({
          file,
          id: question.id,
          split: splitOf(question.id),
          lang: question.lang,
          difficulty: question.difficulty ?? '-',
          question: question.question,
          gold: question.gold_docs,
          rank: index >= 0 ? index + 1 : undefined,
          goldPage: firstLine !== undefined && gold.has(`${pageName(firstLine.url)}.md`),
          missed,
          correct: missed.length === 0,
          tools: result.tools,
          wiki: result.tools.includes('wiki'),
          answer: result.answer,
          wikiResult: lastWiki,
        })
      }
    }
    const ms = Date.now() - started

    if (args.misses !== 'none') printMisses(outcomes.filter((outcome) => !outcome.correct && (args.misses === 'all' || outcome.split === args.misses)))
    console.log(
      `Split: held out when sha256(id)[0..4] mod 100 < ${HELD_OUT_PERCENT}; accuracy = answer matches all answer_patterns, via the offline agent (Ocean unreachable).`,
    )
    console.log(`${'group'.padEnd(34)} ${'n'.padStart(4)}  recall@5  MRR@10  answer page  accuracy  wiki-routed acc  wrong route`)
    for (const { file } of sets) {
      const inFile = outcomes.filter((outcome) => outcome.file === file)
      printGroup(file, inFile)
      for (const split of ['tune', 'held-out'] as const)
        printGroup(
          `  ${split}`,
          inFile.filter((outcome) => outcome.split === split),
        )
      for (const lang of distinct(inFile.map((outcome) => outcome.lang)))
        printGroup(
          `  lang ${lang}`,
          inFile.filter((outcome) => outcome.lang === lang),
        )
      for (const difficulty of distinct(inFile.map((outcome) => outcome.difficulty))) {
        printGroup(
          `  ${difficulty}`,
          inFile.filter((outcome) => outcome.difficulty === difficulty),
        )
      }
    }
    if (sets.length > 1) {
      printGroup('all files', outcomes)
      for (const split of ['tune', 'held-out'] as const) {
        const inSplit = outcomes.filter((outcome) => outcome.split === split)
        printGroup(`  ${split}`, inSplit)
        for (const lang of distinct(inSplit.map((outcome) => outcome.lang)))
          printGroup(
            `    ${split} ${lang}`,
            inSplit.filter((outcome) => outcome.lang === lang),
          )
      }
    }
    console.log(
      `embedder ${kb.embedder.name}; ${outcomes.length} questions in ${(ms / 1000).toFixed(1)} s (${(ms / outcomes.length).toFixed(1)} ms a question, the recall@5 search included)`,
    )
    return 0
  } catch (error) {
    console.error(error instanceof KnowledgeError ? error.message : `Evaluation failed: ${(error as Error).message}`)
    return 1
  } finally {
    await db.close()
  }
}

function distinct(values: string[]): string[] {
  return [...new Set(values)].sort()
}

function printGroup(label: string, group: Outcome[]): void {
  const n = group.length
  if (!n) return
  const recall = group.filter((outcome) => outcome.rank !== undefined && outcome.rank <= 5).length / n
  const mrr = group.reduce((sum, outcome) => sum + (outcome.rank !== undefined && outcome.rank <= 10 ? 1 / outcome.rank : 0), 0) / n
  const answerPage = group.filter((outcome) => outcome.goldPage).length / n
  const accuracy = group.filter((outcome) => outcome.correct).length / n
  const routed = group.filter((outcome) => outcome.wiki)
  const routedAccuracy = routed.length ? (routed.filter((outcome) => outcome.correct).length / routed.length).toFixed(3) : '-'
  const wrongRoute = group.filter((outcome) => !outcome.correct && !outcome.wiki).length
  console.log(
    `${label.padEnd(34)} ${String(n).padStart(4)}  ${recall.toFixed(3).padStart(8)}  ${mrr.toFixed(3).padStart(6)}  ${answerPage.toFixed(3).padStart(11)}  ${accuracy.toFixed(3).padStart(8)}  ${`${routedAccuracy} (${routed.length})`.padStart(15)}  ${String(wrongRoute).padStart(11)}`,
  )
}

function printMisses(misses: Outcome[]): void {
  for (const miss of misses) {
    console.log(`MISS ${miss.file} ${miss.id} [${miss.split}, ${miss.lang}, ${miss.difficulty}] rank=${miss.rank ?? '-'} gold=${miss.gold.join(',')}`)
    console.log(`  Q: ${miss.question}\n  not matched: ${miss.missed.join('  ')}`)
    if (!miss.wiki) {
      console.log(`  wrong route: ${miss.tools.join(', ') || 'no tool'}: ${miss.answer.replace(/\s+/g, ' ').slice(0, 200)}`)
      continue
    }
    const highlights = miss.wikiResult?.highlights ?? []
    if (!highlights.length) console.log(`  no lines chosen; pages: ${(miss.wikiResult?.passages ?? []).map((passage) => basename(passage.source)).join(', ')}`)
    for (const highlight of highlights) console.log(`  ${pageName(highlight.url)}: ${highlight.text.replace(/\s+/g, ' ').slice(0, 220)}`)
  }
}

// The page's file name, however the corpus was ingested (with --base-url or from its folder).
function pageName(url: string): string {
  return decodeURIComponent(url.replace(/#.*$/, '').replace(/^.*\//, '')).replace(/\.md$/, '')
}

process.exitCode = await main()
