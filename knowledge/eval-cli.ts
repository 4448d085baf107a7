// npm run eval -- <file.jsonl>: retrieval quality (recall@5, MRR@10 by gold
// page) and offline answer accuracy (share of wiki-tool answers matching one
// of answer_patterns), per language, against the base in DATA_DIR/DATABASE_URL.
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import pino from 'pino'
import { loadConfig } from '../server/config.ts'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { createKnowledgeBase } from './index.ts'
import { createWikiTool } from '../tools/wiki.ts'
import { KnowledgeError } from './types.ts'

interface Question {
  id: string
  lang: string
  question: string
  gold_docs: string[]
  answer_patterns: string[]
}

interface Outcome {
  lang: string
  rank: number | undefined
  correct: boolean
}

async function main(): Promise<number> {
  const file = process.argv[2]
  const verbose = process.argv.includes('--verbose')
  if (!file) {
    console.error('Usage: npm run eval -- <questions.jsonl> [--verbose]')
    return 2
  }
  let questions: Question[]
  try {
    questions = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as Question)
  } catch (error) {
    console.error(`Could not read ${file}: ${(error as Error).message}`)
    return 2
  }
  const config = loadConfig()
  const log = pino({ level: 'warn' }, pino.destination(2))
  const db = await connectDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  try {
    await migrate(db.sql)
    const kb = createKnowledgeBase({ sql: db.sql, config, log })
    if (!(await kb.languages()).length) {
      console.error('The knowledge base is empty; ingest first, e.g. npm run ingest -- https://www.defichainwiki.com/sitemap.xml')
      return 1
    }
    const wiki = createWikiTool(kb)
    const outcomes: Outcome[] = []
    const started = Date.now()
    for (const question of questions) {
      const hits = await kb.search(question.question, { k: 10 })
      const gold = new Set(question.gold_docs)
      const index = hits.findIndex((hit) => gold.has(basename(hit.source)))
      const context = { message: question.question, recentHumanMessages: [] }
      const args = wiki.offline!.plan(context)
      const answer = args ? wiki.offline!.answer(await wiki.run(args, { signal: AbortSignal.timeout(30_000), log }), args, context) : ''
      const correct = question.answer_patterns.some((pattern) => new RegExp(pattern, 'i').test(answer))
      outcomes.push({ lang: question.lang, rank: index >= 0 ? index + 1 : undefined, correct })
      if (verbose && (!correct || !(index >= 0 && index < 5))) {
        console.log(`${question.id} rank=${index >= 0 ? index + 1 : '-'} correct=${correct} ${question.question}\n  top: ${hits.slice(0, 3).map((hit) => basename(hit.source)).join(', ')}\n  ${answer.replace(/\n+/g, ' ').slice(0, 300)}`)
      }
    }
    const ms = Date.now() - started
    for (const lang of [...new Set(outcomes.map((outcome) => outcome.lang)), 'all']) {
      const group = outcomes.filter((outcome) => lang === 'all' || outcome.lang === lang)
      console.log(formatLine(lang, group))
    }
    console.log(`embedder ${kb.embedder.name}; ${questions.length} questions in ${(ms / 1000).toFixed(1)} s`)
    return 0
  } catch (error) {
    console.error(error instanceof KnowledgeError ? error.message : `Evaluation failed: ${(error as Error).message}`)
    return 1
  } finally {
    await db.close()
  }
}

function formatLine(lang: string, group: Outcome[]): string {
  const n = group.length
  const recall = group.filter((outcome) => outcome.rank !== undefined && outcome.rank <= 5).length / n
  const mrr = group.reduce((sum, outcome) => sum + (outcome.rank !== undefined && outcome.rank <= 10 ? 1 / outcome.rank : 0), 0) / n
  const accuracy = group.filter((outcome) => outcome.correct).length / n
  return `${lang.padEnd(4)} n=${String(n).padEnd(3)} recall@5=${recall.toFixed(3)}  MRR@10=${mrr.toFixed(3)}  answer accuracy=${accuracy.toFixed(3)}`
}

process.exitCode = await main()
