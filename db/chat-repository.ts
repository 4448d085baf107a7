// Every query the chat service needs, as plain functions over one Sql.
import type postgres from 'postgres'
import type { Sql } from './connect.ts'
import { coalesce } from './coalesce.ts'
import { hashToken } from './token-hash.ts'

export type MessageType = 'human' | 'jelly' | 'tool'

export interface StoredMessage {
  id: number
  message_type: MessageType
  content: string
  timestamp: string
  application: string | null
}

export interface QaEntry {
  id: number
  date: string
  question: string
  answer: string
  /** Jelly's answer in chat_messages (null for rows older than the link). */
  message_id: number | null
  rating: Rating | null
  comment: string | null
}

export type Rating = 'up' | 'down'

/** The start of a turn: the stored human message and the memory window before it. */
export interface StartedTurn {
  humanId: number
  history: { message_type: 'human' | 'jelly'; content: string }[]
  /** Set when this client message id was sent before: what was stored then. */
  earlier?: { content: string; answer?: { messageId: number; content: string } }
}

interface NewUser {
  /** The token's hash, hex. */
  key: string
  greeting: string
  application: string | null
}

interface FirstTurn extends NewUser {
  content: string
  window: number
}

interface TurnStart {
  userId: number
  content: string
  application: string | null
  window: number
  clientMessageId: string | null
}

interface TurnEnd {
  userId: number
  humanId: number
  question: string
  answer: string
  application: string | null
  toolLines: readonly string[]
}

interface CompletedTurn {
  messageId: number
  answer: string
}

export type FeedbackOutcome =
  { kind: 'stored' | 'replaced' } | { kind: 'unknown_message' } | { kind: 'not_yours' } | { kind: 'not_an_answer'; messageType: MessageType | 'greeting' }

// Users are never deleted, so a token's id can be remembered; bounded so that
// a flood of one-off tokens cannot grow memory.
const USER_ID_CACHE_SIZE = 10_000

export function chatRepository(sql: Sql) {
  // Keyed by the token's hash, so raw tokens are not kept in memory.
  const userIds = new Map<string, number>()
  const remember = (key: string, userId: number) => {
    if (userIds.size >= USER_ID_CACHE_SIZE) userIds.delete(userIds.keys().next().value!)
    userIds.set(key, userId)
    return userId
  }

  async function findUser(userToken: string): Promise<number | undefined> {
    return findByHash(hashToken(userToken))
  }

  async function findByHash(hash: Buffer): Promise<number | undefined> {
    const key = hash.toString('hex')
    const cached = userIds.get(key)
    if (cached !== undefined) return cached
    const [known] = await sql<{ user_id: string }[]>`select user_id from users where token_hash = ${hash}`
    return known ? remember(key, Number(known.user_id)) : undefined
  }

  async function addToolMessage(userId: number, content: string, application: string | null): Promise<void> {
    await sql`insert into chat_messages (user_id, message_type, content, application)
              values (${userId}, 'tool', ${content}, ${application})`
  }

  // The `window` human and Jelly messages before a turn's message, oldest first, as JSON: what
  // the model sees. The same subquery in each statement that starts turns; values or columns.
  const recentMessages = (userId: number | postgres.Helper<string>, window: number | postgres.Helper<string>, before = sql``) => sql`
    (select coalesce(json_agg(json_build_object('message_type', recent.message_type, 'content', recent.content) order by recent.id), '[]'::json)
     from (select id, message_type, content from chat_messages
           where user_id = ${userId} and message_type in ('human', 'jelly') ${before}
           order by id desc limit ${window}) recent)`

  // Found or created in one round trip: a new user's first turn is one statement shorter.
  async function ensureUserAlone({ key, greeting, application }: NewUser): Promise<number> {
    const hash = Buffer.from(key, 'hex')
    const [row] = await sql<{ user_id: string }[]>`
      with found as (
        select user_id from users where token_hash = ${hash}
      ), new_user as (
        insert into users (token_hash) select ${hash} where not exists (select 1 from found)
        on conflict (token_hash) do nothing
        returning user_id
      ), greeting as (
        insert into chat_messages (user_id, message_type, content, application)
        select user_id, 'jelly', ${greeting}, ${application} from new_user
      )
      select user_id from found union all select user_id from new_user`
    if (row) return Number(row.user_id)
    // A concurrent request created the user after this statement's snapshot.
    const [existing] = await sql<{ user_id: string }[]>`select user_id from users where token_hash = ${hash}`
    return Number(existing.user_id)
  }

  async function startFirstTurnAlone(turn: FirstTurn): Promise<StartedTurn & { userId: number }> {
    const userId = await ensureUserAlone(turn)
    return { userId, ...(await startTurns({ userId, content: turn.content, application: turn.application, window: turn.window, clientMessageId: null })) }
  }

  // Users not in the cache with their turns' first message: the user (and its greeting, before
  // the message) is found or made and the message stored in one statement. A new user's history
  // is its greeting; a known one's is read as startTurns does.
  const startFirstTurns = coalesce<FirstTurn, StartedTurn & { userId: number }>(async (turns) => {
    if (new Set(turns.map((turn) => turn.key)).size < turns.length) return Promise.all(turns.map(startFirstTurnAlone))
    const rows = await sql<{ ord: string; user_id: string | null; human_id: string | null; history: StartedTurn['history'] | null }[]>`
      with input as (
        select decode(key, 'hex') as token_hash, greeting, content, application, history_window, ord from unnest(
          ${sql.array(turns.map((turn) => turn.key))}::text[], ${sql.array(turns.map((turn) => turn.greeting))}::text[],
          ${sql.array(turns.map((turn) => turn.content))}::text[], ${sql.array(turns.map((turn) => turn.application))}::text[],
          ${sql.array(turns.map((turn) => turn.window))}::int[]
        ) with ordinality as i(key, greeting, content, application, history_window, ord)
      ), found as (
        select u.user_id, u.token_hash from users u join input i on i.token_hash = u.token_hash
      ), new_user as (
        insert into users (token_hash)
        select token_hash from input where token_hash not in (select token_hash from found) order by ord
        on conflict (token_hash) do nothing
        returning user_id, token_hash
      ), who as (
        select i.*, coalesce(f.user_id, n.user_id) as user_id, n.user_id is not null as created
        from input i left join found f on f.token_hash = i.token_hash left join new_user n on n.token_hash = i.token_hash
      ), stored as (
        insert into chat_messages (user_id, message_type, content, application)
        select user_id, message_type, content, application from (
          select user_id, 'jelly' as message_type, greeting as content, application, ord, 0 as part from who where created
          union all
          select user_id, 'human', content, application, ord, 1 from who where user_id is not null
        ) as messages order by ord, part
        returning id, user_id, message_type
      )
      select w.ord, w.user_id, s.id as human_id,
        case when w.created then json_build_array(json_build_object('message_type', 'jelly', 'content', w.greeting))
        else ${recentMessages(sql('w.user_id'), sql('w.history_window'))} end as history
      from who w left join stored s on s.user_id = w.user_id and s.message_type = 'human'`
    const byOrder = new Map(rows.map((row) => [Number(row.ord), row]))
    return Promise.all(
      turns.map((turn, index) => {
        const row = byOrder.get(index + 1)
        // Made by another instance after this statement's snapshot: on its own, as ensureUser does.
        if (!row || row.user_id === null || row.human_id === null) return startFirstTurnAlone(turn)
        return { userId: Number(row.user_id), humanId: Number(row.human_id), history: row.history! }
      }),
    )
  }, startFirstTurnAlone)

  async function startTurnAlone({ userId, content, application, window, clientMessageId }: TurnStart): Promise<StartedTurn> {
    // Twice at most: a second read sees what a concurrent insert committed.
    for (let attempt = 1; ; attempt++) {
      const [row] = await sql<
        {
          human_id: string | null
          earlier_id: string | null
          earlier_content: string | null
          answer_id: string | null
          answer: string | null
          history: StartedTurn['history']
        }[]
      >`
        with earlier as (
          select h.id, h.content, qa.message_id as answer_id, a.content as answer
          from chat_messages h
          left join qa on qa.question_id = h.id
          left join chat_messages a on a.id = qa.message_id
          where h.user_id = ${userId} and h.client_message_id = ${clientMessageId}
        ), human as (
          insert into chat_messages (user_id, message_type, content, application, client_message_id)
          select ${userId}, 'human', ${content}, ${application}, ${clientMessageId}
          where not exists (select 1 from earlier)
          on conflict (user_id, client_message_id) where client_message_id is not null do nothing
          returning id
        )
        select (select id from human) as human_id, e.id as earlier_id, e.content as earlier_content, e.answer_id, e.answer,
          ${recentMessages(userId, window, sql`and id < coalesce(e.id, 9223372036854775807)`)} as history
        from (select 1) as one left join earlier e on true`
      if (row.human_id !== null) return { humanId: Number(row.human_id), history: row.history }
      // Another instance stored this client message id after our snapshot: read it again.
      if (row.earlier_id === null && attempt === 1) continue
      if (row.earlier_id === null) throw new Error('the human message was neither stored nor found')
      const answer = row.answer_id === null ? undefined : { messageId: Number(row.answer_id), content: row.answer! }
      return { humanId: Number(row.earlier_id), history: row.history, earlier: { content: row.earlier_content!, answer } }
    }
  }

  // Turns without a client message id: nothing to look up first, so many start in one insert.
  const startTurns = coalesce<TurnStart, StartedTurn>(async (turns) => {
    if (new Set(turns.map((turn) => turn.userId)).size < turns.length) return Promise.all(turns.map(startTurnAlone))
    const rows = await sql<{ ord: string; human_id: string; history: StartedTurn['history'] }[]>`
      with input as (
        select * from unnest(
          ${sql.array(turns.map((turn) => turn.userId))}::bigint[], ${sql.array(turns.map((turn) => turn.content))}::text[],
          ${sql.array(turns.map((turn) => turn.application))}::text[], ${sql.array(turns.map((turn) => turn.window))}::int[]
        ) with ordinality as i(user_id, content, application, history_window, ord)
      ), human as (
        insert into chat_messages (user_id, message_type, content, application)
        select user_id, 'human', content, application from input order by ord
        returning id, user_id
      )
      select i.ord, h.id as human_id,
        ${recentMessages(sql('h.user_id'), sql('i.history_window'))} as history
      from human h join input i on i.user_id = h.user_id`
    const byOrder = new Map(rows.map((row) => [Number(row.ord), row]))
    return turns.map((_, index) => {
      const row = byOrder.get(index + 1)!
      return { humanId: Number(row.human_id), history: row.history }
    })
  }, startTurnAlone)

  async function completeTurnAlone({ userId, humanId, question, answer, application, toolLines }: TurnEnd): Promise<CompletedTurn> {
    // One multi-row insert: ids follow the rows' order, so the lines come before the answer.
    const rows = [
      ...toolLines.map((content) => ({ user_id: userId, message_type: 'tool', content, application })),
      { user_id: userId, message_type: 'jelly', content: answer, application },
    ]
    try {
      const [row] = await sql<{ id: string }[]>`
        with stored as (
          insert into chat_messages ${sql(rows)}
          returning id, message_type
        ), pair as (
          insert into qa (question, answer, message_id, question_id)
          select ${question}, ${answer}, id, ${humanId} from stored where message_type = 'jelly'
        )
        select id from stored where message_type = 'jelly'`
      return { messageId: Number(row.id), answer }
    } catch (error) {
      if ((error as { constraint_name?: string }).constraint_name !== 'qa_question_id') throw error
      for (const line of toolLines) await addToolMessage(userId, line, application)
      const [stored] = await sql<{ id: string; content: string }[]>`
        select a.id, a.content from qa join chat_messages a on a.id = qa.message_id where qa.question_id = ${humanId}`
      return { messageId: Number(stored.id), answer: stored.content }
    }
  }

  // The turns ending at the same moment, in one insert; on any error (an answer another
  // instance stored first among them) each is stored on its own, as completeTurnAlone words it.
  const completeTurns = coalesce<TurnEnd, CompletedTurn>(async (turns) => {
    if (new Set(turns.map((turn) => turn.userId)).size < turns.length) return Promise.all(turns.map(completeTurnAlone))
    const rows = turns.flatMap((turn) => [
      ...turn.toolLines.map((content) => ({ userId: turn.userId, type: 'tool', content, application: turn.application })),
      { userId: turn.userId, type: 'jelly', content: turn.answer, application: turn.application },
    ])
    const stored = await sql<{ user_id: string; id: string }[]>`
      with input as (
        select * from unnest(
          ${sql.array(rows.map((row) => row.userId))}::bigint[], ${sql.array(rows.map((row) => row.type))}::text[],
          ${sql.array(rows.map((row) => row.content))}::text[], ${sql.array(rows.map((row) => row.application))}::text[]
        ) with ordinality as r(user_id, message_type, content, application, ord)
      ), stored as (
        insert into chat_messages (user_id, message_type, content, application)
        select user_id, message_type, content, application from input order by ord
        returning id, user_id, message_type
      ), pairs as (
        select * from unnest(
          ${sql.array(turns.map((turn) => turn.userId))}::bigint[], ${sql.array(turns.map((turn) => turn.question))}::text[],
          ${sql.array(turns.map((turn) => turn.answer))}::text[], ${sql.array(turns.map((turn) => turn.humanId))}::bigint[]
        ) as p(user_id, question, answer, question_id)
      ), pair as (
        insert into qa (question, answer, message_id, question_id)
        select p.question, p.answer, s.id, p.question_id from stored s join pairs p on p.user_id = s.user_id where s.message_type = 'jelly'
      )
      select user_id, id from stored where message_type = 'jelly'`
    const byUser = new Map(stored.map((row) => [Number(row.user_id), Number(row.id)]))
    return turns.map((turn) => ({ messageId: byUser.get(turn.userId)!, answer: turn.answer }))
  }, completeTurnAlone)

  return {
    /** The user's id by the token's hash, or undefined for a token that never sent a message; writes nothing. */
    findUser,

    /** Finds the user by the token's hash, or creates it together with Jelly's greeting as its first message. */
    async ensureUser(userToken: string, greeting: string, application: string | null): Promise<number> {
      const hash = hashToken(userToken)
      const key = hash.toString('hex')
      const cached = userIds.get(key)
      if (cached !== undefined) return cached
      return remember(key, await ensureUserAlone({ key, greeting, application }))
    },

    /**
     * The start of a turn: finds or makes the user (with Jelly's greeting), stores
     * the human message and returns its id with the `window` human and Jelly
     * messages before it, oldest first. One round trip, shared with the other turns
     * starting at the same moment; a user not in the cache costs a second one only
     * with a client message id. With a client message id that was used before,
     * stores nothing and returns what the earlier attempt stored (its answer, if it has one).
     */
    async startTurn(
      userToken: string,
      greeting: string,
      content: string,
      application: string | null,
      window: number,
      clientMessageId: string | null = null,
    ): Promise<StartedTurn & { userId: number }> {
      const key = hashToken(userToken).toString('hex')
      const cached = userIds.get(key)
      if (cached === undefined && clientMessageId === null) {
        const started = await startFirstTurns({ key, greeting, content, application, window })
        remember(key, started.userId)
        return started
      }
      const userId = cached ?? remember(key, await ensureUserAlone({ key, greeting, application }))
      const turn = { userId, content, application, window, clientMessageId }
      return { userId, ...(await (clientMessageId === null ? startTurns(turn) : startTurnAlone(turn))) }
    },

    /** One tool line on its own: for a turn that ends without an answer to store it with. */
    addToolMessage,

    /**
     * Stores the turn's tool lines (in the order they started), Jelly's answer
     * and the question/answer pair in one statement; returns the answer's
     * message id. A human message has at most one answer: if another instance
     * answered it first, that answer is returned instead (the tool lines are
     * still stored, so the transcript shows what this attempt ran).
     */
    completeTurn(
      userId: number,
      humanId: number,
      question: string,
      answer: string,
      application: string | null,
      toolLines: readonly string[] = [],
    ): Promise<{ messageId: number; answer: string }> {
      return completeTurns({ userId, humanId, question, answer, application, toolLines })
    },

    /** The last `limit` messages before message id `before` (or the newest), oldest first. */
    async history(userId: number, limit: number, before?: number): Promise<StoredMessage[]> {
      const rows = await sql<(Omit<StoredMessage, 'id' | 'timestamp'> & { id: string; timestamp: Date })[]>`
        select id, message_type, content, timestamp, application
        from chat_messages where user_id = ${userId} ${before === undefined ? sql`` : sql`and id < ${before}`}
        order by id desc limit ${limit}`
      return rows.reverse().map((row) => ({ ...row, id: Number(row.id), timestamp: row.timestamp.toISOString() }))
    },

    /**
     * Rates one of Jelly's answers for its own user; a second rating replaces the
     * first. `userId` is undefined for a token that never sent a message.
     */
    async rateAnswer(userId: number | undefined, messageId: number, rating: Rating, comment: string | null): Promise<FeedbackOutcome> {
      const [row] = await sql<{ user_id: string; message_type: MessageType; answer: boolean; rated: boolean; had_rating: boolean }[]>`
        with target as (
          select m.id, m.user_id, m.message_type, exists (select 1 from qa where qa.message_id = m.id) as answer
          from chat_messages m where m.id = ${messageId}
        ), rated as (
          insert into feedback (message_id, rating, comment)
          select id, ${rating}, ${comment} from target where user_id = ${userId ?? null} and answer
          on conflict (message_id) do update set rating = excluded.rating, comment = excluded.comment, updated_at = now()
          returning message_id
        )
        select t.user_id, t.message_type, t.answer, exists (select 1 from rated) as rated,
          exists (select 1 from feedback where message_id = ${messageId}) as had_rating
        from target t`
      if (!row) return { kind: 'unknown_message' }
      if (Number(row.user_id) !== userId) return { kind: 'not_yours' }
      if (!row.rated) return { kind: 'not_an_answer', messageType: row.message_type === 'jelly' ? 'greeting' : row.message_type }
      return { kind: row.had_rating ? 'replaced' : 'stored' }
    },

    async listQa(limit: number, before?: { id: number } | { date: Date }): Promise<QaEntry[]> {
      const rows = await sql<(Omit<QaEntry, 'id' | 'date' | 'message_id'> & { id: string; date: Date; message_id: string | null })[]>`
        select qa.id, qa.date, qa.question, qa.answer, qa.message_id, f.rating, f.comment
        from qa left join feedback f on f.message_id = qa.message_id
        ${before && 'id' in before ? sql`where qa.id < ${before.id}` : before ? sql`where qa.date < ${before.date}` : sql``}
        order by qa.id desc limit ${limit}`
      return rows.map((row) => ({
        ...row,
        id: Number(row.id),
        date: row.date.toISOString(),
        message_id: row.message_id === null ? null : Number(row.message_id),
      }))
    },

    /** Takes back a human message nobody answered (its client was told to send it again). */
    async withdrawMessage(userId: number, messageId: number): Promise<void> {
      await sql`delete from chat_messages m where m.id = ${messageId} and m.user_id = ${userId} and m.message_type = 'human'
                and not exists (select 1 from qa where qa.question_id = m.id)`
    },

    async humanMessageCount(): Promise<number> {
      const [row] = await sql<{ count: string }[]>`select count(*) from chat_messages where message_type = 'human'`
      return Number(row.count)
    },

    async ping(): Promise<void> {
      await sql`select 1`
    },
  }
}

export type ChatRepository = ReturnType<typeof chatRepository>
