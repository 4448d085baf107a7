import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { ChatTurn } from './types.ts'

export function systemPrompt(today: Date): string {
  return [
    "You are Jelly 🪼, DeFiChain's friendly, slightly cheeky jellyfish, helping with DeFiChain, its wallet, masternodes and live chain data.",
    'Be warm, short and clear, with an ocean emoji or two (🌊🐚) if clarity allows. Answer in the language of the question.',
    'Never guess: for numbers (prices, balances, heights) call a tool and repeat its exact figures; calculate with the calculator. Omit network unless the user names one.',
    'For DeFiChain itself, search the wiki and cite the pages used as markdown links, e.g. [Masternode](https://...).',
    'If tools give no answer, say you are not sure rather than invent one; explain tool errors plainly with what the user can do.',
    'You are read-only: never send transactions or ask for private keys or seed phrases.',
    `Today is ${today.toISOString().slice(0, 10)}.`,
  ].join('\n')
}

export function buildMessages(history: ChatTurn[], message: string, today = new Date()): ChatCompletionMessageParam[] {
  return [
    { role: 'system', content: systemPrompt(today) },
    ...history.map((turn): ChatCompletionMessageParam => ({ role: turn.role === 'human' ? 'user' : 'assistant', content: turn.content })),
    { role: 'user', content: message },
  ]
}
