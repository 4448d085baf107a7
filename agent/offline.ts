// Offline mode: a deterministic planner over the same tool modules the LLM
// uses. Each tool says whether a message is for it (tools are tried in registry
// order) and words the answer from its result. Also the LLM path's fallback.
import type { Tool } from '../tools/types.ts'
import { ToolError } from '../tools/types.ts'
import type { Agent, AgentInput, AgentResult } from './types.ts'
import { streamText } from './stream-text.ts'

const SMALL_TALK = /^(?:hi|hey|hello|hallo|moin|servus|gm|good (?:morning|evening|afternoon)|thanks?(?: you)?|thx|danke|cheers|ok(?:ay)?|cool|nice|great|bye|ciao|tsch[üu]ss)\b[\s!.,🪼🌊🐙😊🙏❤️]*(?:jelly)?[\s!.]*$/i

export const CAPABILITIES =
  "I'm Jelly 🪼 and without my big ocean brain (offline mode) I can still help with:\n" +
  '• math, e.g. "What is 20000 divided by 33.3?" 🧮\n' +
  '• live DeFiChain data: block height, supply, burned DFI, token prices, pool pairs, masternodes, vaults, proposals, or an address you paste 🔗\n' +
  '• questions about DeFiChain answered from the wiki, with links 📚\n' +
  'What would you like to know? 🌊'

export function createOfflineAgent(tools: Tool[]): Agent {
  const planners = tools.filter((tool) => tool.offline)
  return {
    async run(input: AgentInput): Promise<AgentResult> {
      const context = {
        message: input.message,
        recentHumanMessages: input.history.filter((turn) => turn.role === 'human').map((turn) => turn.content),
      }
      if (SMALL_TALK.test(input.message.trim())) return reply(input, CAPABILITIES, [])

      for (const tool of planners) {
        const args = tool.offline!.plan(context)
        if (args === undefined) continue
        input.emit({ type: 'tool_start', tool: tool.name, line: tool.startLine })
        const answer = await runForAnswer(tool, args, input, context)
        return reply(input, answer, [tool.name])
      }
      return reply(input, CAPABILITIES, [])
    },
  }
}

async function runForAnswer(tool: Tool, args: unknown, input: AgentInput, context: Parameters<NonNullable<Tool['offline']>['answer']>[2]): Promise<string> {
  const started = performance.now()
  const done = (ok: boolean) => input.emit({ type: 'tool_end', tool: tool.name, ok, durationMs: performance.now() - started })
  try {
    const result = await tool.run(args, { signal: input.signal, log: input.log })
    done(true)
    return tool.offline!.answer(result, args, context)
  } catch (error) {
    done(false)
    if (error instanceof ToolError) return `${error.message} 🌊`
    input.log.error({ err: error, tool: tool.name }, 'tool failed')
    return `Oops, my ${tool.name} tentacle got tangled 🪼 Please try again in a moment.`
  }
}

function reply(input: AgentInput, answer: string, tools: string[]): AgentResult {
  streamText(answer, input.emit)
  return { answer, tools, mode: 'offline' }
}
