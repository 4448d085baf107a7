// Text Postgres cannot store as sent is refused on every transport with a 400 or
// an error event naming the field: NUL characters, lone surrogates (which would
// be stored as U+FFFD, so `victim-\ud800` would read `victim-\ufffd`'s history)
// and bytes that are not UTF-8. Nothing of a refused message is stored.
import t from 'tap'
import type { Test } from 'tap'
import { listenTestApp } from './helpers/app.ts'
import { connectSocketIo, connectWs, postJson } from './helpers/client.ts'
import { getJson, readTurn, recordSocketIo, recordWs, socketIoSend, storedState, wsSend } from './helpers/chat.ts'
import { countRows } from './helpers/database.ts'

const ADMIN_TOKEN = 'admin-token-for-text-tests'
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }
const VALID = { user_token: 'victim-\ufffd', message: 'what is 6 times 7?' }
const NUL = /must not contain NUL characters \(\\u0000\)$/
const SURROGATE = /must be well-formed Unicode text \(it contains a lone surrogate\)$/

/** One bad field each, with the error it must get. */
const BAD_MESSAGES: [string, object, RegExp][] = [
  ['NUL in user_token', { ...VALID, user_token: 'victim\u0000' }, /^user_token must not contain NUL/],
  ['NUL in message', { ...VALID, message: 'what is\u0000 6 times 7?' }, /^message must not contain NUL/],
  ['NUL in application', { ...VALID, application: 'app\u0000' }, /^application must not contain NUL/],
  ['only NUL as message', { ...VALID, message: '\u0000' }, /^message must not contain NUL/],
  ['lone high surrogate in user_token', { ...VALID, user_token: 'victim-\ud800' }, /^user_token must be well-formed Unicode/],
  ['lone low surrogate in message', { ...VALID, message: 'what is 6 times 7?\udc00' }, /^message must be well-formed Unicode/],
  ['reversed pair in application', { ...VALID, application: '\udc00\ud800' }, /^application must be well-formed Unicode/],
  ['lone surrogate in client_message_id', { ...VALID, client_message_id: 'id-\ud800' }, /^client_message_id /],
]

const server = await listenTestApp(t, { ADMIN_TOKEN })

async function expectNothingStored(t: Test, run: () => Promise<void>) {
  const before = await storedState(server.url, VALID.user_token, ADMIN)
  await run()
  t.same(await storedState(server.url, VALID.user_token, ADMIN), before, 'history, badge and answered questions are unchanged')
}

// The victim has a conversation that none of the look-alike tokens may reach.
const first = await postJson(`${server.url}/user_message`, VALID)
if (first.status !== 200) throw new Error(`setup failed: ${JSON.stringify(first)}`)

t.test('REST: 400 naming the field', async (t) => {
  await expectNothingStored(t, async () => {
    for (const [name, body, error] of BAD_MESSAGES) {
      const reply = await postJson(`${server.url}/user_message`, body)
      t.equal(reply.status, 400, `${name}: 400`)
      t.match(reply.body, { error }, `${name}: ${reply.body.error}`)
    }
    for (const [name, body, error] of [
      ['NUL token', { user_token: 'victim-\ufffd\u0000' }, NUL],
      ['look-alike token', { user_token: 'victim-\ud800' }, SURROGATE],
    ] as const) {
      const reply = await postJson(`${server.url}/history`, body)
      t.equal(reply.status, 400, `/history, ${name}: 400`)
      t.match(reply.body, { error: new RegExp(`^user_token ${error.source}`) }, reply.body.error)
    }
    const feedback = await postJson(`${server.url}/feedback`, { user_token: VALID.user_token, message_id: first.body.message_id, rating: 'up', comment: 'nice\u0000' })
    t.match(feedback, { status: 400, body: { error: /^comment must not contain NUL/ } }, '/feedback checks every field too')
  })
  const victim = (await postJson(`${server.url}/history`, { user_token: VALID.user_token })).body
  t.equal(victim.length, 4, "the victim's own history is intact")
})

t.test('a field nested deeper than the call stack goes is checked too, without a 500', async (t) => {
  const deep = (leaf: string) => `{"user_token":"victim-\ufffd","message":"what is 1 plus 2?","x":${'['.repeat(20_000)}${leaf}${']'.repeat(20_000)}}`
  const send = (text: string) =>
    fetch(`${server.url}/user_message`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text }).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }))
  await expectNothingStored(t, async () => {
    t.same(await send(deep('"\\u0000"')), { status: 400, body: { error: 'x.0.0.0.… must not contain NUL characters (\\u0000)' } }, 'the field is named, shortened')
    const ws = await connectWs(server.url)
    t.teardown(() => ws.close())
    const frame = deep('"\\ud800"').replace('{', '{"type":"user_message",')
    t.match(readTurn(await wsSend(ws, recordWs(ws), frame)).errors, [/^x\.0\.0\.0\.… must be well-formed Unicode/], '/ws too')
  })
  const fine = await send(deep('"ok"'))
  t.equal(fine.status, 200, 'clean deep extra fields are ignored as before')
  const history = (await postJson(`${server.url}/history`, { user_token: VALID.user_token })).body
  t.equal(history.at(-1).content, '1 + 2 = 3 🧮')
})

t.test('REST: bytes that are not UTF-8 are refused, a real U+FFFD is not', async (t) => {
  const raw = (bytes: Buffer, path = '/user_message') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array(bytes) }).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }))
  const body = (token: Buffer, message = Buffer.from('hi')) =>
    Buffer.concat([Buffer.from('{"user_token":"'), token, Buffer.from('","message":"'), message, Buffer.from('"}')])
  await expectNothingStored(t, async () => {
    t.same(await raw(body(Buffer.from([0x76, 0xff]))), { status: 400, body: { error: 'user_token is not valid UTF-8' } }, 'a 0xff byte in user_token')
    t.same(
      await raw(body(Buffer.from('victim-'), Buffer.from([0xed, 0xa0, 0x80]))),
      { status: 400, body: { error: 'message is not valid UTF-8' } },
      'an encoded surrogate (CESU-8) in message',
    )
    t.same(await raw(body(Buffer.from('victim-'), Buffer.from([0xc0, 0xaf]))), { status: 400, body: { error: 'message is not valid UTF-8' } }, 'an overlong encoding')
    t.same(await raw(Buffer.from([0x7b, 0xfe, 0x7d])), { status: 400, body: { error: 'body is not valid UTF-8' } }, 'not JSON either: the body is named')
    t.same(await raw(body(Buffer.from([0xff])), '/history'), { status: 400, body: { error: 'user_token is not valid UTF-8' } }, '/history too')
  })
  // U+FFFD sent as proper UTF-8 is ordinary text: it is the victim's own token.
  const real = await raw(body(Buffer.from('victim-\ufffd'), Buffer.from('what is 1 plus 1?')))
  t.equal(real.status, 200, 'a U+FFFD sent as UTF-8 is accepted')
  t.equal((await postJson(`${server.url}/history`, { user_token: VALID.user_token })).body.length, 10, 'and reaches its own history')
})

t.test('Socket.IO: an error event naming the field', async (t) => {
  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  const recorder = recordSocketIo(socket)
  await expectNothingStored(t, async () => {
    for (const [name, body, error] of BAD_MESSAGES) {
      const turn = readTurn(await socketIoSend(socket, recorder, body))
      t.equal(turn.final, undefined, `${name}: no answer`)
      t.match(turn.errors, [error], `${name}: ${turn.errors[0]}`)
    }
    const positional = readTurn(await socketIoSend(socket, recorder, 'victim-\ud800', 'hi'))
    t.match(positional.errors, [/^user_token must be well-formed Unicode/], 'positional arguments too')
  })
  t.ok(socket.connected, 'still connected')
})

t.test('/ws: an error frame naming the field, also for bytes that are not UTF-8', async (t) => {
  const ws = await connectWs(server.url)
  t.teardown(() => ws.close())
  const recorder = recordWs(ws)
  await expectNothingStored(t, async () => {
    for (const [name, body, error] of BAD_MESSAGES) {
      const turn = readTurn(await wsSend(ws, recorder, { type: 'user_message', ...body }))
      t.match(turn.errors, [error], `${name}: ${turn.errors[0]}`)
    }
    for (const [name, bytes, error] of [
      [
        'a 0xff byte in user_token',
        Buffer.concat([Buffer.from('{"type":"user_message","user_token":"v'), Buffer.from([0xff]), Buffer.from('","message":"hi"}')]),
        'user_token is not valid UTF-8',
      ],
      ['not JSON either', Buffer.from([0x68, 0xc3]), 'frame is not valid UTF-8'],
    ] as const) {
      const from = recorder.events.length
      ws.send(bytes, { binary: false })
      const events = await recorder.until(() => true, { from })
      t.same(events, [{ type: 'error', error }], name)
    }
  })
  t.equal(ws.readyState, ws.OPEN, 'still open')
  t.equal(readTurn(await wsSend(ws, recorder, { type: 'user_message', ...VALID })).final, '6 * 7 = 42 🧮', 'and usable')
})

t.test('/messages_answers and /search: out-of-range and NUL query values are a 400', async (t) => {
  for (const [query, error] of [
    ['before=99999999999999999999', /^before is out of range/],
    ['before=9007199254740992', /^before is out of range/],
    ['before=0000-01-01', /^before is out of range/],
    ['before=0000-12-31T23:59:59Z', /^before is out of range/],
    ['before=2024-02-3x', /^before must be an id or an ISO date$/],
    ['before=%00', /^before must not contain NUL/],
  ] as const) {
    const reply = await getJson(`${server.url}/messages_answers?${query}`, ADMIN)
    t.equal(reply.status, 400, query)
    t.match(reply.body, { error }, reply.body.error)
  }
  t.equal((await getJson(`${server.url}/messages_answers?before=0001-01-01`, ADMIN)).status, 200, 'the first year Postgres knows is fine')
  t.equal((await getJson(`${server.url}/messages_answers?before=9007199254740991`, ADMIN)).status, 200, 'the largest id is fine')
  t.match(await getJson(`${server.url}/search?q=jelly%00`, ADMIN), { status: 400, body: { error: /^q must not contain NUL/ } })
  t.same(
    server.logs.filter((line) => line.level >= 50),
    [],
    'nothing was logged as an error',
  )
})

t.test('no user was created for any refused message', async (t) => {
  t.equal(await countRows(server.db.sql, 'users'), 1, 'only the victim')
})
