// POST /feedback: a user rates one of Jelly's answers to them, up or down, with
// an optional comment; a second rating replaces the first.
import type { FastifyPluginAsync } from 'fastify'
import type { AppServices } from '../services.ts'
import type { ChatRepository, FeedbackOutcome, Rating } from '../../db/chat-repository.ts'
import { strictValidatorCompiler, userMessageSchema } from '../message-input.ts'

const errorReply = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const

interface FeedbackBody {
  user_token: string
  message_id: number
  rating: Rating
  comment?: string | null
}

/** Stores the rating if the answer is the user's; the outcome says what happened (one label per metric). */
async function recordFeedback(repository: ChatRepository, { user_token, message_id, rating, comment }: FeedbackBody): Promise<FeedbackOutcome> {
  const userId = await repository.findUser(user_token)
  return repository.rateAnswer(userId, message_id, rating, comment?.trim() || null)
}

/** The HTTP status and words for each refusal. */
function refusal(outcome: FeedbackOutcome, messageId: number): { status: 400 | 403 | 404; error: string } | undefined {
  switch (outcome.kind) {
    case 'unknown_message':
      return { status: 404, error: `message_id ${messageId} does not exist` }
    case 'not_yours':
      return { status: 403, error: `message_id ${messageId} is not one of this user's messages` }
    case 'not_an_answer':
      return {
        status: 400,
        error: `message_id ${messageId} is ${outcome.messageType === 'greeting' ? "Jelly's greeting" : `a ${outcome.messageType} message`}, not one of Jelly's answers; only answers can be rated`,
      }
    default:
      return undefined
  }
}

export const feedbackRoutes: FastifyPluginAsync<AppServices> = async (app, { config, repository, metrics }) => {
  app.post<{ Body: FeedbackBody }>('/feedback', {
    validatorCompiler: strictValidatorCompiler,
    schema: {
      summary: "Rate one of Jelly's answers",
      tags: ['chat'],
      body: {
        type: 'object',
        description:
          "Rates one of Jelly's answers (its `message_id` from `final_message`, the REST reply or /history) for the user it was given to. A second rating replaces the first.",
        properties: {
          user_token: userMessageSchema(config.maxMessageChars).properties.user_token,
          message_id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
          rating: { type: 'string', enum: ['up', 'down'] },
          comment: { type: ['string', 'null'], maxLength: 1000 },
        },
        required: ['user_token', 'message_id', 'rating'],
      },
      response: {
        200: {
          type: 'object',
          properties: {
            message_id: { type: 'integer' },
            rating: { type: 'string', enum: ['up', 'down'] },
            comment: { type: ['string', 'null'] },
            replaced: { type: 'boolean', description: 'true when this rating replaced an earlier one' },
          },
          required: ['message_id', 'rating', 'comment', 'replaced'],
        },
        400: errorReply,
        403: errorReply,
        404: errorReply,
        '4xx': errorReply,
        '5xx': errorReply,
      },
    },
    handler: async (request, reply) => {
      const { message_id, rating, comment } = request.body
      const outcome = await recordFeedback(repository, request.body)
      const refused = refusal(outcome, message_id)
      if (refused) return reply.code(refused.status).send({ error: refused.error })
      metrics.feedback(rating)
      return { message_id, rating, comment: comment?.trim() || null, replaced: outcome.kind === 'replaced' }
    },
  })
}
