// `npm run chat`: talk to Jelly in a terminal, in-process (the server's own
// composition: same agent, tools and database) or against a running server
// with --url. On a terminal it shows the greeting, tool lines and a prompt; in
// a pipe it prints only the answers, one per input line. Ctrl-C/Ctrl-D leave
// after the turn under way, with the database closed and its lock released.
import { createInterface } from 'node:readline'
import { ConfigError, loadConfig, type Config } from '../config.ts'
import { createLogger } from '../logger.ts'
import { DataDirInUseError } from '../../db/embedded.ts'
import { parseChatArgs, USAGE, type ChatArgs } from './args.ts'
import { terminalToken } from './token.ts'
import { inProcessBackend, remoteBackend, TurnError, type ChatBackend, type HistoryEntry } from './backends.ts'
import { describeTrace, describeWireEvent } from './debug.ts'

const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY)
const colors = interactive && process.stdout.hasColors()
const style = (code: number, reset: number) => (text: string) => (colors ? `\x1b[${code}m${text}\x1b[${reset}m` : text)
const dim = style(2, 22)
const bold = style(1, 22)
const red = style(31, 39)
const say = (text: string) => void process.stdout.write(text)
const complain = (text: string) => void process.stderr.write(`${text}\n`)

const parsed = parseChatArgs(process.argv.slice(2))
if ('help' in parsed) {
  console.log(USAGE)
  process.exit(0)
}
if ('error' in parsed) {
  complain(`${parsed.error}\n\n${USAGE}`)
  process.exit(2)
}

let config: Config
try {
  // A chat is no place for a server's info lines: warnings and errors only, unless LOG_LEVEL says otherwise.
  config = loadConfig({ LOG_LEVEL: 'warn', ...process.env })
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  complain(`Configuration error: ${error.message}`)
  process.exit(1)
}

process.exit(await chat(parsed.args, config))

async function chat(args: ChatArgs, config: Config): Promise<number> {
  const debug = (line: string) => complain(dim(`[debug] ${line}`))
  const backend = await open(args, config, debug)
  if (!backend) return 1

  const rl = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive })
  rl.setPrompt(bold('you › '))
  let busy = false
  let closed = false
  rl.once('close', () => (closed = true))
  const leave = () => {
    if (busy && interactive) say(dim('\n(leaving once Jelly has finished this answer…)\n'))
    rl.close()
  }
  rl.on('SIGINT', leave)
  process.once('SIGINT', leave).once('SIGTERM', leave)

  let failed = false
  try {
    if (interactive) {
      say(`${bold('🪼 Jelly')} ${dim(`· ${backend.describe} · Ctrl-D or Ctrl-C to leave`)}\n`)
      showHistory(await backend.history())
      rl.prompt()
    }
    for await (const line of rl) {
      const message = line.trim()
      if (message) {
        busy = true
        failed = !(await turn(backend, message)) || failed
        busy = false
      }
      if (interactive && !closed) rl.prompt()
    }
  } catch (error) {
    if (!(error instanceof TurnError)) throw error
    complain(red(error.message))
    failed = true
  } finally {
    rl.close()
    await backend.close()
  }
  if (interactive) say(`\n${dim('Bye 🪼🌊')}\n`)
  // A script learns from the exit code that a message failed; a person already read it.
  return failed && !interactive ? 1 : 0
}

async function open(args: ChatArgs, config: Config, debug: (line: string) => void): Promise<ChatBackend | undefined> {
  try {
    const token = args.token ?? (await terminalToken(config.dataDir))
    if (args.url) return await remoteBackend(args.url, token, args.debug ? (event) => debug(describeWireEvent(event)) : undefined)
    const logger = createLogger(config.logLevel, process.stderr)
    return await inProcessBackend(config, logger, token, args.debug ? (event) => describeTrace(event).forEach(debug) : undefined)
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      complain(
        `Jelly's embedded database in ${error.dataDir} is in use by process ${error.pid}, probably a running server.\n` +
          `Talk to that server instead:  npm run chat -- --url http://localhost:${config.port}\n` +
          '(or stop it first, or use another DATA_DIR)',
      )
    } else if (error instanceof TurnError) {
      complain(error.message)
    } else {
      complain(`Jelly could not start: ${(error as Error).message}`)
    }
    return undefined
  }
}

/** One message and its answer; false when Jelly refused or failed. */
async function turn(backend: ChatBackend, message: string): Promise<boolean> {
  let answering = false
  try {
    const answer = await backend.send(message, (event) => {
      if (event.type === 'tool_start' && interactive) say(`${dim(`  ${event.tool_name}`)}\n`)
      if (event.type === 'final_answer_token') {
        if (!answering && interactive) say(bold('Jelly: '))
        answering = true
        say(event.token)
      }
    })
    if (!answering) say(`${interactive ? bold('Jelly: ') : ''}${answer}`)
    say('\n')
    return true
  } catch (error) {
    if (!(error instanceof TurnError)) throw error
    if (answering) say('\n')
    complain(red(error.message))
    return false
  }
}

function showHistory(history: HistoryEntry[]): void {
  const said = history.filter((entry) => entry.message_type !== 'tool')
  const earlier = said.filter((entry) => entry.message_type === 'human').length
  if (earlier) say(dim(`(continuing your conversation: ${earlier} earlier message${earlier === 1 ? '' : 's'})\n`))
  for (const entry of said.slice(earlier ? -2 : -1)) {
    say(entry.message_type === 'human' ? dim(`you › ${entry.content}\n`) : `${bold('Jelly:')} ${entry.content}\n`)
  }
}
