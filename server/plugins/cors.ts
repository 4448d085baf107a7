// @fastify/cors: CORS_ORIGIN, parsed as the socket transports parse it (server/origin.ts).
import type { FastifyInstance } from 'fastify'
import cors from '@fastify/cors'
import { allowedOrigins } from '../origin.ts'

export async function registerCors(app: FastifyInstance, corsOrigin: string) {
  await app.register(cors, { origin: allowedOrigins(corsOrigin) })
}
