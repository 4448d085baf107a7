// The prompt-token budget of a one-tool turn (issue 12: at most 3,000 over
// both provider calls): the app (buildTestApp, inject) with the fake provider, counting what
// it is sent with the estimate the benchmark's fake provider uses (test/fakes/prompt-tokens.ts).
import t from 'tap'
import { buildTestApp } from './helpers/app.ts'
import { injector } from './helpers/inject.ts'
import { startFakeOpenAI } from './fakes/openai.ts'
import { estimatePromptTokens } from './fakes/prompt-tokens.ts'

const TURN_BUDGET = 3000

t.test(`a one-tool turn sends at most ${TURN_BUDGET} prompt tokens over its two calls`, async (t) => {
  const llm = await startFakeOpenAI((request) =>
    request.messages.at(-1)?.role === 'tool' ? { content: 'That makes 600.6 🌊' } : { toolCalls: [{ name: 'calculator', arguments: '{"expression":"20000 / 33.3"}' }] },
  )
  t.teardown(() => llm.close())
  const http = injector((await buildTestApp(t, { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key' })).app)

  const reply = await http.post('/user_message', { user_token: 'budget', message: 'What is 20000 divided by 33.3?' })
  t.equal(reply.body.response, 'That makes 600.6 🌊')
  t.equal(llm.requests.length, 2, 'a tool call, then the answer')
  const [first, second] = llm.requests.map(estimatePromptTokens)
  t.ok(first + second <= TURN_BUDGET, `${first} + ${second} = ${first + second} prompt tokens (budget ${TURN_BUDGET})`)
  t.ok((llm.requests[0].tools?.length ?? 0) >= 8, 'the whole tool list is still sent')
})
