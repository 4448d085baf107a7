// Properties the audit found holding, kept so by a test each: SQL only as
// tagged templates, `__proto__` refused, the 64 KB frame limit on every
// transport, and no internals in what a user is shown.
import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { listenTestApp } from './helpers/app.ts'
import { connectSocketIo, connectWs, postJson } from './helpers/client.ts'
import { getJson, postRaw, readTurn, recordSocketIo, recordWs, socketIoSend, wsSend } from './helpers/chat.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true })
  return entries.filter((entry) => entry.isFile() && /\.(ts|mjs)$/.test(entry.name)).map((entry) => join(entry.parentPath, entry.name))
}

// Started before the first test, so tap's root test is still busy while a database is made for it.
const server = await listenTestApp(t)

t.test('every SQL statement is a tagged template; sql.unsafe only runs the migration files', async (t) => {
  const files = (await Promise.all(['server', 'agent', 'tools', 'knowledge', 'db'].map(sourceFiles))).flat()
  t.ok(files.length > 20, `scanned ${files.length} files`)
  const untagged =
    /(?<![\w>$])`\s*(?:select\s[^`]*\sfrom|insert\s+into|update\s+\w+\s+set|delete\s+from|create\s+(?:table|index)|drop\s+(?:table|index)|alter\s+table)\b/i
  const quoted = /['"]\s*(?:select\s[^'"]*\sfrom|insert\s+into|update\s+\w+\s+set|delete\s+from|alter\s+table)\b/i
  const problems: string[] = []
  let unsafeCalls = 0
  for (const file of files) {
    const name = file.slice(ROOT.length)
    const text = await readFile(file, 'utf8')
    for (const [line, content] of text.split('\n').entries()) {
      const where = `${name}:${line + 1}: ${content.trim()}`
      if (/\.unsafe\(/.test(content)) {
        unsafeCalls++
        // DDL cannot take parameters: the one other use interpolates nothing but a number.
        const allowed = name === join('db', 'migrate.ts') ? /\.unsafe\(text\)/ : /\.unsafe\(`[^`$]*(?:\$\{Number\([\w.]+\)\}[^`$]*)*`\)/
        if (!allowed.test(content)) problems.push(`sql.unsafe with more than the migration text or a number: ${where}`)
      } else if (untagged.test(content)) problems.push(`SQL in an untagged template literal: ${where}`)
      else if (quoted.test(content)) problems.push(`SQL built in a string: ${where}`)
    }
  }
  t.ok(unsafeCalls >= 1, 'the scan sees the migration runner')
  t.same(problems, [], 'no SQL outside tagged templates')
  t.match('await sql.unsafe(`select * from users where id = ${id}`)', /\.unsafe\(/, 'the patterns catch what they are for')
  t.match("const q = 'select * from users where id = ' + id", quoted)
  t.match('await db.query(`select name from users where id = ${id}`)', untagged)
  t.notMatch('await sql`select name from users where id = ${id}`', untagged)
})

const polluted = () => ({}) as Record<string, unknown>

t.test('__proto__ and constructor keys are refused on every transport, and pollute nothing', async (t) => {
  const raw = '{"user_token":"proto","message":"what is 1 plus 1?","__proto__":{"polluted":"yes"}}'
  const rest = await postRaw(`${server.url}/user_message`, raw, { 'content-type': 'application/json' })
  t.equal(rest.status, 400, 'REST: 400')
  t.type(rest.body.error, 'string')
  const restConstructor = await postRaw(`${server.url}/user_message`, '{"user_token":"proto","message":"hi","constructor":{"prototype":{"polluted":"yes"}}}', {
    'content-type': 'application/json',
  })
  t.equal(restConstructor.status, 400, 'REST: constructor.prototype, 400')
  const restPlain = await postJson(`${server.url}/user_message`, { user_token: 'proto', message: 'hi', constructor: 'x' })
  t.same(restPlain, { status: 400, body: { error: 'constructor is not allowed as a field name' } }, 'REST: a plain constructor key, 400 naming it')

  const ws = await connectWs(server.url)
  t.teardown(() => ws.close())
  const wsTurn = readTurn(await wsSend(ws, recordWs(ws), raw.replace('{', '{"type":"user_message",')))
  t.equal(wsTurn.final, undefined, '/ws: not answered')
  t.equal(wsTurn.errors.length, 1, `/ws: an error frame: ${wsTurn.errors[0]}`)

  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  const sioTurn = readTurn(await socketIoSend(socket, recordSocketIo(socket), JSON.parse(raw)))
  t.equal(sioTurn.final, undefined, 'Socket.IO: not answered')
  t.equal(sioTurn.errors.length, 1, `Socket.IO: an error event: ${sioTurn.errors[0]}`)

  t.equal(polluted().polluted, undefined, 'Object.prototype is untouched')
  t.same(
    (await postJson(`${server.url}/history`, { user_token: 'proto' })).body.filter((m: any) => m.message_type === 'human'),
    [],
    'nothing was stored',
  )
})

t.test('the 64 KB frame limit holds on every transport', async (t) => {
  const huge = 'x'.repeat(70 * 1024)
  const rest = await postJson(`${server.url}/user_message`, { user_token: 'huge', message: huge })
  t.same(rest, { status: 413, body: { error: 'body is too large' } }, 'REST: 413')

  const ws = await connectWs(server.url)
  const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  ws.send(JSON.stringify({ type: 'user_message', user_token: 'huge', message: huge }))
  t.equal(await wsClosed, 1009, '/ws: closed with 1009 (message too big)')

  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  const cut = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)))
  socket.emit('user_message', { user_token: 'huge', message: huge })
  t.match(await cut, /transport (close|error)/, 'Socket.IO: the server drops the connection')

  t.notOk(
    (await getJson(`${server.url}/messages_answers?limit=500`)).body.some((entry: any) => entry.question.length > 60_000),
    'nothing huge was answered',
  )
  t.same(
    (await postJson(`${server.url}/history`, { user_token: 'huge' })).body.filter((m: any) => m.message_type === 'human'),
    [],
    'or stored',
  )
})

// Stack frames, file paths, SQL and driver words: none of it is for users.
const INTERNALS =
  /\bat \S+ \(|\.[tj]s:\d+|node_modules|\/work\/|\/tmp\/|\bselect\b|\binsert\b|\bbigint\b|out of range for type|invalid byte sequence|0x00|postgres|pglite|SyntaxError|Unexpected token|TypeError|stack/i

t.test('no user-facing error shows internals', async (t) => {
  const replies: [string, unknown][] = []
  // An id beyond bigint (once a SQL error), broken JSON, a NUL byte (once refused by the database).
  replies.push(['/messages_answers?before=99999999999999999999', (await getJson(`${server.url}/messages_answers?before=99999999999999999999`)).body])
  replies.push(['broken JSON', (await postRaw(`${server.url}/user_message`, '{"user_token": "a", "message": ', { 'content-type': 'application/json' })).body])
  replies.push(['REST NUL', (await postJson(`${server.url}/user_message`, { user_token: 'nul\u0000user', message: 'hi' })).body])
  replies.push(['unknown route', (await getJson(`${server.url}/nope`)).body])
  const socket = await connectSocketIo(server.url)
  t.teardown(() => void socket.disconnect())
  replies.push(['Socket.IO NUL', readTurn(await socketIoSend(socket, recordSocketIo(socket), { user_token: 'nul\u0000user', message: 'hi' })).errors])
  const ws = await connectWs(server.url)
  t.teardown(() => ws.close())
  replies.push(['/ws NUL', readTurn(await wsSend(ws, recordWs(ws), { type: 'user_message', user_token: 'nul\u0000user', message: 'hi' })).errors])
  for (const [what, body] of replies) {
    const text = JSON.stringify(body)
    t.ok(text.length > 2, `${what}: an error is shown: ${text}`)
    t.notMatch(text, INTERNALS, `${what}: no internals`)
  }
})
