// Bad input on every transport: REST answers 400 with an error naming the
// field; Socket.IO and /ws send an `error` event and keep the connection
// usable. Nothing of a rejected message is stored.
import t from 'tap'
import type { Test } from 'tap'
import { listenTestApp } from './helpers/app.ts'
import { injector, type Injector } from './helpers/inject.ts'
import { connectSocketIo, connectWs, postJson } from './helpers/client.ts'
import { readTurn, recordSocketIo, recordWs, socketIoSend, wsSend } from './helpers/chat.ts'

const VALID = { user_token: 'victim', message: 'what is 6 times 7?' }
const VALID_ANSWER = '6 * 7 = 42 🧮'

/** Chat bodies that break one rule each, with the words the error must contain. */
const BAD_BODIES: [string, unknown, RegExp][] = [
  ['missing user_token', { message: VALID.message }, /^user_token is required$/],
  ['missing message', { user_token: VALID.user_token }, /^message is required$/],
  ['empty object', {}, /is required/],
  ['empty user_token', { ...VALID, user_token: '' }, /^user_token must not be empty$/],
  ['whitespace user_token', { ...VALID, user_token: ' \t\n ' }, /^user_token must not be empty$/],
  ['empty message', { ...VALID, message: '' }, /^message must not be empty$/],
  ['whitespace message', { ...VALID, message: '   \n\t' }, /^message must not be empty$/],
  ['number user_token', { ...VALID, user_token: 42 }, /^user_token must be a string$/],
  ['object user_token', { ...VALID, user_token: { id: 'victim' } }, /^user_token must be a string$/],
  ['array user_token', { ...VALID, user_token: ['victim'] }, /^user_token must be a string$/],
  ['null user_token', { ...VALID, user_token: null }, /^user_token must be a string$/],
  ['boolean user_token', { ...VALID, user_token: true }, /^user_token must be a string$/],
  ['number message', { ...VALID, message: 42 }, /^message must be a string$/],
  ['object message', { ...VALID, message: { text: 'hi' } }, /^message must be a string$/],
  ['array message', { ...VALID, message: ['hi'] }, /^message must be a string$/],
  ['null message', { ...VALID, message: null }, /^message must be a string$/],
  ['number application', { ...VALID, application: 7 }, /^application must be a string$/],
  ['message of 4,001 characters', { ...VALID, message: 'x'.repeat(4001) }, /^message is too long \(the limit is 4000 characters\)$/],
  ['user_token of 201 characters', { ...VALID, user_token: 't'.repeat(201) }, /^user_token is too long/],
]

/** Request bodies that are not a chat object at all. */
const BAD_RAW: [string, string | undefined, Record<string, string>, RegExp][] = [
  ['not JSON', 'user_token=victim&message=hi', { 'content-type': 'application/json' }, /^body must be valid JSON$/],
  ['truncated JSON', '{"user_token":"victim","message":', { 'content-type': 'application/json' }, /^body must be valid JSON$/],
  ['empty body', undefined, { 'content-type': 'application/json' }, /^body must be valid JSON$/],
  ['a JSON string', '"hello"', { 'content-type': 'application/json' }, /^body must be a JSON object$/],
  ['a JSON array', '[{"user_token":"victim","message":"hi"}]', { 'content-type': 'application/json' }, /^body must be a JSON object$/],
  ['a JSON number', '42', { 'content-type': 'application/json' }, /^body must be a JSON object$/],
  ['JSON null', 'null', { 'content-type': 'application/json' }, /^body must be a JSON object$/],
]

// One server for the table; every case checks the stored state did not move.
const server = await listenTestApp(t)
const http = injector(server.app)

async function expectNothingStored(t: Test, run: () => Promise<void>) {
  const before = await http.storedState(VALID.user_token)
  await run()
  t.same(await http.storedState(VALID.user_token), before, 'history, badge and answered questions are unchanged')
}

t.test('REST: 400 with an error naming the field', async (t) => {
  await expectNothingStored(t, async () => {
    for (const [name, body, error] of BAD_BODIES) {
      const reply = await http.post(`/user_message`, body)
      t.equal(reply.status, 400, `${name}: 400`)
      t.match(reply.body, { error }, `${name}: ${reply.body.error}`)
      t.same(Object.keys(reply.body), ['error'], `${name}: only {error}`)
    }
    for (const [name, body, headers, error] of BAD_RAW) {
      const reply = await http.postRaw(`/user_message`, body, headers)
      t.equal(reply.status, 400, `${name}: 400`)
      t.match(reply.body, { error }, `${name}: ${reply.body?.error}`)
    }
  })
  // A rejected message must not create its user either: a first /history shows only the greeting.
  const unknown = await http.post(`/history`, { user_token: 'rejected-before-first-contact' })
  t.equal(unknown.body.length, 1)
})

t.test('REST: wrong or missing content type', async (t) => {
  await expectNothingStored(t, async () => {
    const body = JSON.stringify(VALID)
    for (const [name, headers] of [
      ['text/plain', { 'content-type': 'text/plain' }],
      ['form encoded', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['no content type', {}],
    ] as const) {
      const reply = await http.postRaw(`/user_message`, body, headers)
      t.ok(reply.status === 400 || reply.status === 415, `${name}: ${reply.status} is a client error`)
      t.match(reply.body, { error: /JSON/ }, `${name}: ${reply.body?.error}`)
    }
  })
})

t.test('REST: a body beyond the size limit is refused without reading it all', async (t) => {
  await expectNothingStored(t, async () => {
    // Over a real socket: the limit stops the upload, not only its parsing.
    const reply = await postJson(`${server.url}/user_message`, { ...VALID, message: 'x'.repeat(300_000) })
    t.equal(reply.status, 413)
    t.same(reply.body, { error: 'body is too large' })
  })
})

t.test('REST: /history validates user_token the same way', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{}, /^user_token is required$/],
    [{ user_token: '' }, /^user_token must not be empty$/],
    [{ user_token: '  ' }, /^user_token must not be empty$/],
    [{ user_token: 5 }, /^user_token must be a string$/],
    [{ user_token: null }, /^user_token must be a string$/],
    [['victim'], /^body must be a JSON object$/],
  ]
  for (const [body, error] of cases) {
    const reply = await http.post(`/history`, body)
    t.equal(reply.status, 400, JSON.stringify(body))
    t.match(reply.body, { error })
  }
  const raw = await http.postRaw(`/history`, '{user_token:', { 'content-type': 'application/json' })
  t.same(raw, { status: 400, body: { error: 'body must be valid JSON' } })
})

t.test('Socket.IO: an error event, and the connection stays usable', async (t) => {
  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  const recorder = recordSocketIo(socket)
  const positional: [string, unknown[], RegExp][] = [
    ['no arguments', [], /^user_token is required$/],
    ['a lone string', ['victim'], /^message is required$/],
    ['null', [null], /^body must be a JSON object$/],
    ['an array', [[VALID.user_token, VALID.message]], /^body must be a JSON object$/],
    ['positional number user_token', [42, VALID.message], /^user_token must be a string$/],
    ['positional empty user_token', ['', VALID.message], /^user_token must not be empty$/],
    ['positional whitespace message', [VALID.user_token, '  '], /^message must not be empty$/],
    ['positional object message', [VALID.user_token, { text: 'hi' }], /^message must be a string$/],
    ['positional null message', [VALID.user_token, null], /^message must be a string$/],
    ['positional number application', [VALID.user_token, VALID.message, 3], /^application must be a string$/],
    ['positional message of 4,001 characters', [VALID.user_token, 'y'.repeat(4001)], /^message is too long \(the limit is 4000 characters\)$/],
  ]
  const cases: [string, unknown[], RegExp][] = [...BAD_BODIES.map(([name, body, error]): [string, unknown[], RegExp] => [name, [body], error]), ...positional]

  await expectNothingStored(t, async () => {
    for (const [name, args, error] of cases) {
      const turn = readTurn(await socketIoSend(socket, recorder, ...args))
      t.equal(turn.final, undefined, `${name}: no answer`)
      t.match(turn.errors, [error], `${name}: ${turn.errors[0]}`)
    }
    // With an ack, the ack carries the same error.
    const ack = await socket.timeout(5000).emitWithAck('user_message', { ...VALID, message: '' })
    t.same(ack, { error: 'message must not be empty' }, 'the ack gets the error too')
  })
  t.ok(socket.connected, 'still connected')
  const turn = readTurn(await socketIoSend(socket, recorder, VALID))
  t.equal(turn.final, VALID_ANSWER, 'a valid message on the same connection is answered')
})

t.test('/ws: an error frame, and the connection stays usable', async (t) => {
  const ws = await connectWs(server.url)
  t.teardown(() => ws.close())
  const recorder = recordWs(ws)
  const frames: [string, unknown, RegExp][] = [
    ['not JSON', 'hello jelly', /^frame must be a JSON object/],
    ['truncated JSON', '{"type":"user_message"', /^frame must be a JSON object/],
    ['a JSON number', '42', /^frame must be a JSON object/],
    ['a JSON string', '"user_message"', /^frame must be a JSON object/],
    ['a JSON array', '[{"type":"user_message"}]', /^frame must be a JSON object/],
    ['JSON null', 'null', /^frame must be a JSON object/],
    ['unknown frame type', { type: 'ping' }, /^unknown frame type "ping"; expected "user_message"$/],
    ['frame type of the wrong type', { type: 5, ...VALID }, /^unknown frame type 5/],
    ['no frame type', { ...VALID }, /^unknown frame type null/],
    ...BAD_BODIES.map(([name, body, error]): [string, unknown, RegExp] => [name, { type: 'user_message', ...(body as object) }, error]),
  ]
  await expectNothingStored(t, async () => {
    for (const [name, frame, error] of frames) {
      const events = await wsSend(ws, recorder, frame)
      t.same(
        events.map((event) => Object.keys(event).sort()),
        [['error', 'type']],
        `${name}: one {type, error} frame`,
      )
      t.match(readTurn(events).errors, [error], `${name}: ${readTurn(events).errors[0]}`)
    }
    // A binary frame is not text JSON.
    const from = recorder.events.length
    ws.send(Buffer.from(JSON.stringify({ type: 'user_message', ...VALID })), { binary: true })
    t.match(readTurn(await recorder.until(() => true, { from })).errors, [/^frame must be a JSON object/], 'binary frame')
  })
  t.equal(ws.readyState, ws.OPEN, 'still open')
  const turn = readTurn(await wsSend(ws, recorder, { type: 'user_message', ...VALID }))
  t.equal(turn.final, VALID_ANSWER, 'a valid message on the same connection is answered')
})

t.test('MAX_MESSAGE_CHARS=10 sets the limit on every transport', async (t) => {
  const small = await listenTestApp(t, { MAX_MESSAGE_CHARS: '10' })
  const smallHttp = injector(small.app)
  const fits = '1 + 2 + 34' // exactly 10 characters
  const tooLong = '1 + 2 + 345'
  const limit = /^message is too long \(the limit is 10 characters\)$/

  await checkSmallLimit(t, smallHttp, async () => {
    const ok = await smallHttp.post(`/user_message`, { user_token: 'small', message: fits })
    t.match(ok, { status: 200, body: { response: '1 + 2 + 34 = 37 🧮', message_id: Number } }, 'REST: 10 characters are fine')
    const rejected = await smallHttp.post(`/user_message`, { user_token: 'small', message: tooLong })
    t.equal(rejected.status, 400)
    t.match(rejected.body, { error: limit }, 'REST: 11 characters are too many')
    // Characters, not bytes: ten jellyfish are 40 bytes of UTF-8.
    const emoji = await smallHttp.post(`/user_message`, { user_token: 'small', message: '🪼'.repeat(10) })
    t.equal(emoji.status, 200, 'ten 4-byte characters fit a 10-character limit')
  })

  const socket = await connectSocketIo(small.url)
  t.teardown(() => void socket.disconnect())
  const sio = recordSocketIo(socket)
  t.match(readTurn(await socketIoSend(socket, sio, 'small', tooLong)).errors, [limit], 'Socket.IO: 11 characters are too many')
  t.equal(readTurn(await socketIoSend(socket, sio, 'small', fits)).final, '1 + 2 + 34 = 37 🧮', 'Socket.IO: then a valid one is answered')

  const ws = await connectWs(small.url)
  t.teardown(() => ws.close())
  const frames = recordWs(ws)
  t.match(readTurn(await wsSend(ws, frames, { type: 'user_message', user_token: 'small', message: tooLong })).errors, [limit], '/ws: 11 characters are too many')
  t.equal(
    readTurn(await wsSend(ws, frames, { type: 'user_message', user_token: 'small', message: fits })).final,
    '1 + 2 + 34 = 37 🧮',
    '/ws: then a valid one is answered',
  )

  t.test('a message far over a small limit gets an error on the sockets too, like on REST', async (t) => {
    const long = 'x'.repeat(5000)
    const rest = await smallHttp.post(`/user_message`, { user_token: 'small', message: long })
    t.match(rest, { status: 400, body: { error: /too long/ } }, 'REST says the message is too long')

    const socket = await connectSocketIo(small.url)
    t.teardown(() => void socket.disconnect())
    const sio = recordSocketIo(socket)
    socket.emit('user_message', 'small', long)
    await sio.until((event) => event.type === 'error', { timeoutMs: 2000 })
    t.ok(socket.connected, 'Socket.IO stays connected')

    const ws = await connectWs(small.url)
    t.teardown(() => ws.close())
    const frames = recordWs(ws)
    ws.send(JSON.stringify({ type: 'user_message', user_token: 'small', message: long }))
    await frames.until((event) => event.type === 'error', { timeoutMs: 2000 })
    t.equal(ws.readyState, ws.OPEN, '/ws stays open')
  })
})

async function checkSmallLimit(t: Test, smallHttp: Injector, run: () => Promise<void>) {
  const before = await smallHttp.storedState('small')
  await run()
  const after = await smallHttp.storedState('small')
  const humans = (state: typeof before) => state.history.filter((entry) => entry.message_type === 'human').map((entry) => entry.content)
  t.same(humans(after), [...humans(before), '1 + 2 + 34', '🪼'.repeat(10)], 'the accepted messages were stored, the rejected one was not')
  t.equal(Number(after.humanMessageCount), Number(before.humanMessageCount) + 2)
}

t.test('null for an optional field is the same as leaving it out, as /history writes it', async (t) => {
  const token = 'nullable-fields'
  const reply = await http.post('/user_message', { user_token: token, message: VALID.message, application: null, client_message_id: null })
  t.equal(reply.status, 200, 'REST with application and client_message_id null')
  t.match(reply.body, { response: VALID_ANSWER })
  const history = await http.post('/history', { user_token: token, limit: null, before: null })
  t.equal(history.status, 200, '/history with limit and before null')
  t.match(history.body, [{ message_type: 'jelly' }, { message_type: 'human', content: VALID.message, application: null }, {}, {}])
  const rated = await http.post('/feedback', { user_token: token, message_id: (reply.body as { message_id: number }).message_id, rating: 'up', comment: null })
  t.same(rated, { status: 200, body: { message_id: (reply.body as { message_id: number }).message_id, rating: 'up', comment: null, replaced: false } })

  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  const recorder = recordSocketIo(socket)
  t.equal(readTurn(await socketIoSend(socket, recorder, { ...VALID, user_token: token, application: null })).final, VALID_ANSWER, 'Socket.IO with application null')
  t.equal(readTurn(await socketIoSend(socket, recorder, { ...VALID, user_token: token }, 'extra')).final, VALID_ANSWER, 'Socket.IO: an object, then another argument')
})
