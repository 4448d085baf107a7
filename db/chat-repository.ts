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

export function chatRepository(sql: Sql) {
  return {
    /** Finds the user, or creates it together with Jelly's greeting as its first message. */
    async ensureUser(userToken: string, greeting: string, application: string | null): Promise<number> {
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
      if (created) return Number(created.user_id)
      // Either an existing user, or one a concurrent request created after this statement's snapshot.
      const [existing] = await sql<{ user_id: string }[]>`select user_id from users where user_token = ${userToken}`
      return Number(existing.user_id)
    },

    async findUserId(userToken: string): Promise<number | undefined> {
      const [row] = await sql<{ user_id: string }[]>`select user_id from users where user_token = ${userToken}`
      return row ? Number(row.user_id) : undefined
    },

    async addMessage(userId: number, type: MessageType, content: string, application: string | null): Promise<void> {
      await sql`insert into chat_messages (user_id, message_type, content, application)
                values (${userId}, ${type}, ${content}, ${application})`
    },

    async history(userId: number): Promise<StoredMessage[]> {
      const rows = await sql<(Omit<StoredMessage, 'id' | 'timestamp'> & { id: string; timestamp: Date })[]>`
        select id, message_type, content, timestamp, application
        from chat_messages where user_id = ${userId} order by id`
      return rows.map((row) => ({ ...row, id: Number(row.id), timestamp: row.timestamp.toISOString() }))
    },

    /** The last `limit` human and Jelly messages before the newest human one, oldest first. */
    async recentTurns(userId: number, limit: number): Promise<{ message_type: 'human' | 'jelly'; content: string }[]> {
      if (limit === 0) return []
      const rows = await sql<{ message_type: 'human' | 'jelly'; content: string }[]>`
        select message_type, content from chat_messages
        where user_id = ${userId} and message_type in ('human', 'jelly')
          and id < (select max(id) from chat_messages where user_id = ${userId} and message_type = 'human')
        order by id desc limit ${limit}`
      return rows.reverse()
    },

    async addQa(question: string, answer: string): Promise<void> {
      await sql`insert into qa (question, answer) values (${question}, ${answer})`
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
