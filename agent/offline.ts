// Offline mode: a deterministic agent over the same tool modules the LLM
// uses. The routing table (offline-routes.ts) picks the tool, the tool's plan()
// reads its arguments, the shared tool runner runs it, and the tool words the
// answer. Also the LLM path's fallback.
import type { OfflineContext, Tool } from '../tools/types.ts'
import type { WikiResult } from '../tools/wiki.ts'
import type { Agent, AgentInput, AgentResult, AgentTrace } from './types.ts'
import { streamText } from './stream-text.ts'
import { createToolRunner, type ToolFailureKind, type ToolRunner } from './run-tool-calls.ts'
import { candidateRoutes, OFFLINE_ROUTES, routedContext, type OfflineRoute } from './offline-routes.ts'

export const CAPABILITIES =
  "I'm Jelly 🪼 and without my big ocean brain (offline mode) I can still help with:\n" +
  '• math, e.g. "What is 20000 divided by 33.3?" 🧮\n' +
  '• live DeFiChain data: block height, supply, burned DFI, token prices, pool pairs, masternodes, vaults, proposals, or an address you paste 🔗\n' +
  '• questions about DeFiChain answered from the wiki, with links 📚\n' +
  'What would you like to know? 🌊'

export interface OfflineAgentOptions {
  /** The runner to share with the LLM loop; built from `tools` when omitted. */
  runner?: ToolRunner
  toolTimeoutMs?: number
  routes?: OfflineRoute[]
  /** Sees the plan and each tool result (the terminal chat's --debug). */
  trace?: AgentTrace
}

/** Where a message goes: a tool with its arguments, or Jelly's list of what she can do. */
export type OfflinePlan = { to: 'capabilities' } | { to: 'tool'; tool: Tool; args: unknown; route: OfflineRoute }

/** Chain-data failures after which a general question is worth asking the wiki. */
const WIKI_FALLBACK_KINDS = new Set<ToolFailureKind>(['unavailable', 'not_found', 'timeout'])

export function planOffline(tools: Tool[], context: OfflineContext, routes: OfflineRoute[] = OFFLINE_ROUTES): OfflinePlan {
  const byName = new Map(tools.map((tool) => [tool.name, tool]))
  for (const route of candidateRoutes(context, routes)) {
    if (route.to === 'capabilities') return { to: 'capabilities' }
    const tool = byName.get(route.to)
    const args = tool?.offline?.plan(context)
    if (tool && args !== undefined) return { to: 'tool', tool, args, route }
  }
  return { to: 'capabilities' }
}

export function createOfflineAgent(tools: Tool[], options: OfflineAgentOptions = {}): Agent {
  const runner = options.runner ?? createToolRunner(tools, options.toolTimeoutMs ?? 15_000)
  const wiki = tools.find((tool) => tool.name === 'wiki')
  const { trace } = options

  async function answerWith(
    tool: Tool,
    args: unknown,
    context: OfflineContext,
    input: AgentInput,
  ): Promise<{ answer: string; result: unknown } | { failure: ToolFailureKind; answer: string }> {
    const outcome = await runner.runTool(tool.name, args, { signal: input.signal, log: input.log, emit: input.emit })
    trace?.({ type: 'tool_result', name: tool.name, ok: outcome.ok, content: outcome.ok ? JSON.stringify(outcome.result) : `${outcome.kind}: ${outcome.error}` })
    if (outcome.ok) return { answer: tool.offline!.answer(outcome.result, args, context), result: outcome.result }
    // The runner logged a crash; the user gets no internals.
    if (outcome.kind === 'crashed') return { failure: outcome.kind, answer: `Oops, my ${tool.name} tentacle got tangled 🪼 Please try again in a moment.` }
    return { failure: outcome.kind, answer: `${outcome.error} 🌊` }
  }

  return {
    async run(input: AgentInput): Promise<AgentResult> {
      const context = routedContext(
        input.message,
        input.history.filter((turn) => turn.role === 'human').map((turn) => turn.content),
      )
      const plan = planOffline(tools, context, options.routes)
      if (plan.to === 'capabilities') {
        trace?.({ type: 'offline_plan', tool: null, why: 'a greeting, or no tool fits: Jelly says what she can do' })
        return reply(input, CAPABILITIES, [])
      }
      trace?.({ type: 'offline_plan', tool: plan.tool.name, args: plan.args, why: plan.route.why })

      const first = await answerWith(plan.tool, plan.args, context, input)
      if (!('failure' in first) || !plan.route.wikiFallback || !wiki || !WIKI_FALLBACK_KINDS.has(first.failure)) return reply(input, first.answer, [plan.tool.name])

      // Live data is missing, but a general question ("what was the initial block reward?") may be in the wiki.
      const wikiArgs = wiki.offline?.plan(context)
      if (wikiArgs === undefined) return reply(input, first.answer, [plan.tool.name])
      trace?.({ type: 'offline_plan', tool: wiki.name, args: wikiArgs, why: `${plan.tool.name} failed (${first.failure}); a general question may be in the wiki` })
      const fromWiki = await answerWith(wiki, wikiArgs, context, input)
      if ('failure' in fromWiki || !(fromWiki.result as WikiResult).passages.length) return reply(input, first.answer, [plan.tool.name, wiki.name])
      return reply(input, `${first.answer}\n\n${fromWiki.answer}`, [plan.tool.name, wiki.name])
    },
  }
}

function reply(input: AgentInput, answer: string, tools: string[]): AgentResult {
  streamText(answer, input.emit)
  return { answer, tools, mode: 'offline' }
}
