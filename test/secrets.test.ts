// Token and secret hygiene: only a hash of each user_token is stored (and a
// migration converts old rows), and no secret a session used appears in the log.
// startServer, not buildTestApp: the session's log includes what server/start.ts
// writes (the listening line with the database, the drain and stop).
import { cp, mkdtemp, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { createHash } from 'node:crypto'
import t from 'tap'
import { fileURLToPath } from 'node:url'
import { connectDatabase } from '../db/connect.ts'
import { migrate } from '../db/migrate.ts'
import { chatRepository } from '../db/chat-repository.ts'
import { freshDatabase } from './helpers/data-dir.ts'
import { startServer } from './helpers/server.ts'
import { connectSocketIo, connectWs, postJson, socketIoTurn, wsTurn } from './helpers/client.ts'
import { startFakeOpenAI } from './fakes/openai.ts'

const MIGRATIONS = fileURLToPath(new URL('../migrations/', import.meta.url))
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest()

t.test('a full session leaves no secret in the log and no raw token in the database', async (t) => {
  const secrets = {
    apiKey: 'sk-live-do-not-log-0123456789abcdef',
    adminToken: 'admin-secret-do-not-log-98765',
    rest: 'user-token-rest-do-not-log-ä🪼',
    io: 'user-token-socketio-do-not-log',
    ws: 'user-token-ws-do-not-log',
  }
  let call = 0
  const fake = await startFakeOpenAI(() => (++call === 1 ? { status: 500 } : { content: 'Hello from the deep 🪼' }))
  t.teardown(() => fake.close())
  const server = await startServer(t, {
    LOG_LEVEL: 'trace',
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: secrets.apiKey,
    ADMIN_TOKEN: secrets.adminToken,
    RATE_LIMIT_USER: '3/1m',
  })
  const admin = { authorization: `Bearer ${secrets.adminToken}` }

  t.equal((await postJson(`${server.url}/user_message`, { user_token: secrets.rest, message: 'hi there' })).status, 200)
  for (let i = 0; i < 3; i++) await postJson(`${server.url}/user_message`, { user_token: secrets.rest, message: `again ${i}` })
  t.equal((await postJson(`${server.url}/history`, { user_token: secrets.rest })).status, 200)
  t.equal((await postJson(`${server.url}/user_message`, { user_token: secrets.rest, message: '' })).status, 400, 'bad input, token in the body')
  const badJson = await fetch(`${server.url}/user_message`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.io}` },
    body: `{"user_token":"${secrets.rest}",`,
  })
  t.equal(badJson.status, 400)
  for (const path of ['/messages_answers', '/search?q=jelly', '/metrics']) await fetch(`${server.url}${path}`, { headers: admin })
  await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${secrets.adminToken}x` } })
  const socket = await connectSocketIo(server.url)
  t.match((await socketIoTurn(socket, { user_token: secrets.io, message: 'hello' })).final, /deep/)
  socket.close()
  const ws = await connectWs(server.url)
  t.match((await wsTurn(ws, { type: 'user_message', user_token: secrets.ws, message: 'hello' })).final, /deep/)
  t.match((await wsTurn(ws, { type: 'user_message', user_token: secrets.ws, message: '' })).events[0], { type: 'error' })
  ws.close()
  await server.stop()

  const log = server.logs.map((line) => JSON.stringify(line)).join('\n')
  t.ok(server.logs.length > 20, `the session logged (${server.logs.length} lines)`)
  t.match(log, /Jelly is listening[\s\S]*"msg":"stopped"/, 'from the listening line to the stop')
  t.match(log, /"msg":"turn"/, 'turns were logged')
  t.match(log, /LLM call failed; retrying/, 'the provider failure was logged')
  for (const [name, secret] of Object.entries(secrets)) {
    t.notOk(log.includes(secret) || log.includes(JSON.stringify(secret).slice(1, -1)), `${name} does not appear in the log`)
    t.notOk(log.includes(sha256(secret).toString('hex')), `nor does its hash`)
  }

  const db = await connectDatabase({ dataDir: server.dataDir, databaseUrl: server.databaseUrl })
  t.teardown(() => db.close())
  const users = await db.sql<{ token_hash: Buffer }[]>`select * from users`
  t.equal(users.length, 3)
  const dump = JSON.stringify(await db.sql`select * from users`)
  for (const token of [secrets.rest, secrets.io, secrets.ws]) {
    t.notOk(dump.includes(token), 'no raw token stored')
    t.ok(
      users.some((user) => user.token_hash.equals(sha256(token))),
      'its SHA-256 is',
    )
  }
})

t.test('migration 007 converts existing tokens, and users keep their history', async (t) => {
  const db = await connectDatabase(await freshDatabase())
  t.teardown(() => db.close())
  const before = await mkdtemp(join(tmpdir(), 'jelly-migrations-'))
  for (const name of await readdir(MIGRATIONS)) if (name < '007') await cp(join(MIGRATIONS, name), join(before, name))
  await migrate(db.sql, before)
  const [{ user_id }] = await db.sql`insert into users (user_token) values ('old-token-ü') returning user_id`
  await db.sql`insert into chat_messages (user_id, message_type, content) values (${user_id}, 'human', 'an old question')`
  // Later migrations may follow; 007 is the first to run on this older database.
  t.same((await migrate(db.sql))[0], '007_user_token_hash.sql')
  const [row] = await db.sql<{ token_hash: Buffer }[]>`select * from users`
  t.notOk('user_token' in row, 'the raw column is gone')
  t.ok(row.token_hash.equals(sha256('old-token-ü')), "Postgres's sha256 matches the server's")
  const repository = chatRepository(db.sql)
  t.equal(await repository.findUser('old-token-ü'), Number(user_id), 'the token finds its user by hash')
  const id = await repository.ensureUser('old-token-ü', 'hi', null)
  t.equal(id, Number(user_id), 'and no second user is made for it')
  t.match(await repository.history(id, 50), [{ content: 'an old question' }])
})

t.test('the logger redacts tokens, keys and authorization wherever they sit', async (t) => {
  const { createLogger } = await import('../server/logger.ts')
  const lines: string[] = []
  const log = createLogger('info', { write: (line: string) => void lines.push(line) })
  log.info({ req: { headers: { authorization: 'Bearer s1', cookie: 's2', 'x-api-key': 's3' } }, user_token: 's4', body: { user_token: 's5' } }, 'one')
  log.info({ config: { openaiApiKey: 's6', adminToken: 's7' }, err: { headers: { authorization: 's8' } }, input: { userToken: 's9' } }, 'two')
  log.child({ apiKey: 's10' }).info({ deep: { body: { user_token: 's11' } } }, 'three')
  log.error({ err: Object.assign(new Error('boom'), { request: { body: { user_token: 's12' } } }) }, 'four')
  log.info({ list: [{ password: 's13' }], a: { b: { c: { token: 's14' } } }, plain: { count: 3 } }, 'five')
  const text = lines.join('')
  t.equal(lines.length, 5)
  for (let i = 1; i <= 14; i++) t.notOk(text.includes(`"s${i}"`), `secret ${i} redacted`)
  t.match(text, /\[redacted\]/)
  const four = JSON.parse(lines[3])
  t.match(
    four.err,
    { type: 'Error', message: 'boom', stack: /Error: boom/, request: { body: { user_token: '[redacted]' } } },
    'an error keeps its type, message and stack',
  )
  t.same(JSON.parse(lines[4]).plain, { count: 3 }, 'what holds no secret is logged as it is')
})
