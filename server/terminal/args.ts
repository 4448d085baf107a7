// `npm run chat` arguments.
import { parseArgs } from 'node:util'

export interface ChatArgs {
  url?: string
  token?: string
  debug: boolean
}

export const USAGE = `Talk to Jelly in the terminal.

  npm run chat                       in-process: the same agent, tools and database as the server
  npm run chat -- --url URL          against a running server, e.g. http://localhost:8080
  echo "what is 2+2" | npm run -s chat   one answer per input line, nothing else

Options:
  --url URL      talk to a running server over Socket.IO instead of in-process
  --token TOKEN  whose conversation to continue (default: your own, kept under DATA_DIR)
  --debug        show each LLM request's messages, the tool calls and results
                 (the offline planner's choices in offline mode); with --url, the events received
  -h, --help     this text

Ctrl-D or Ctrl-C leaves.`

export function parseChatArgs(argv: string[]): { args: ChatArgs } | { help: true } | { error: string } {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        debug: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    })
  } catch (error) {
    return { error: (error as Error).message }
  }
  const { url, token, debug, help } = parsed.values
  if (help) return { help: true }
  if (url !== undefined) {
    let parsedUrl: URL
    try {
      parsedUrl = new URL(url)
    } catch {
      return { error: `--url must be an http(s) URL, got "${url}"` }
    }
    if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') return { error: `--url must be an http(s) URL, got "${url}"` }
  }
  if (token !== undefined && !token.trim()) return { error: '--token must not be empty' }
  return { args: { url: url?.replace(/\/+$/, ''), token, debug: debug ?? false } }
}
