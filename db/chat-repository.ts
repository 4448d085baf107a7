// Every query the chat service needs, as plain functions over one Sql.
import type { Sql } from './connect.ts'

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
}

// Users are never deleted, so a token's id can be remembered; bounded so that
// a flood of one-off tokens cannot grow memory.
const USER_ID_CACHE_SIZE = 10_000

export function chatRepository(sql: Sql) {
  const userIds = new Map<string, number>()
  const remember = (userToken: string, userId: number) => {
    if (userIds.size >= USER_ID_CACHE_SIZE) userIds.delete(userIds.keys().next().value!)
    userIds.set(userToken, userId)
    return userId
  }

  return {
    /** Finds the user, or creates it together with Jelly's greeting as its first message. */
    async ensureUser(userToken: string, greeting: string, application: string | null): Promise<number> {
      const cached = userIds.get(userToken)
      if (cached !== undefined) return cached
      const [known] = await sql<{ user_id: string }[]>`select user_id from users where user_token = ${userToken}`
      if (known) return remember(userToken, Number(known.user_id))
      const [created] = await sql<{ user_id: string }[]>`
        with new_user as (
          insert into users (user_token) values (${userToken})
          on conflict (user_token) do nothing
          returning user_id
        ), greeting as (
          insert into chat_messages (user_id, message_type, content, application)
          select user_id, 'jelly', ${greeting}, ${application} from new_user
        )
        select user_id from new_user`
      if (created) return remember(userToken, Number(created.user_id))
      // A concurrent request created the user after this statement's snapshot.
      const [existing] = await sql<{ user_id: string }[]>`select user_id from users where user_token = ${userToken}`
      return remember(userToken, Number(existing.user_id))
    },

    /**
     * Stores the human message and returns the `window` human and Jelly messages
     * before it, oldest first: one round trip at the start of every turn.
     */
    async addHumanMessage(userId: number, content: string, application: string | null, window: number): Promise<{ message_type: 'human' | 'jelly'; content: string }[]> {
      const rows = await sql<{ message_type: 'human' | 'jelly'; content: string }[]>`
        with human as (
          insert into chat_messages (user_id, message_type, content, application)
          values (${userId}, 'human', ${content}, ${application})
        )
        select message_type, content from chat_messages
        where user_id = ${userId} and message_type in ('human', 'jelly')
        order by id desc limit ${window}`
      return rows.reverse()
    },

    async addToolMessage(userId: number, content: string, application: string | null): Promise<void> {
      await sql`insert into chat_messages (user_id, message_type, content, application)
                values (${userId}, 'tool', ${content}, ${application})`
    },

    /** Stores Jelly's answer and the question/answer pair together; returns the answer's message id. */
    async completeTurn(userId: number, question: string, answer: string, application: string | null): Promise<number> {
      const [row] = await sql<{ id: string }[]>`
        with jelly as (
          insert into chat_messages (user_id, message_type, content, application)
          values (${userId}, 'jelly', ${answer}, ${application})
          returning id
        ), pair as (
          insert into qa (question, answer) values (${question}, ${answer})
        )
        select id from jelly`
      return Number(row.id)
    },

    async history(userId: number): Promise<StoredMessage[]> {
      const rows = await sql<(Omit<StoredMessage, 'id' | 'timestamp'> & { id: string; timestamp: Date })[]>`
        select id, message_type, content, timestamp, application
        from chat_messages where user_id = ${userId} order by id`
      return rows.map((row) => ({ ...row, id: Number(row.id), timestamp: row.timestamp.toISOString() }))
    },

    async listQa(limit: number, before?: { id: number } | { date: Date }): Promise<QaEntry[]> {
      const rows = await sql<{ id: string; date: Date; question: string; answer: string }[]>`
        select id, date, question, answer from qa
        ${before && 'id' in before ? sql`where id < ${before.id}` : before ? sql`where date < ${before.date}` : sql``}
        order by id desc limit ${limit}`
      return rows.map((row) => ({ ...row, id: Number(row.id), date: row.date.toISOString() }))
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
