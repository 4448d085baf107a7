// @fastify/cors: CORS_ORIGIN, comma-separated, or * for any origin.
import type { FastifyInstance } from 'fastify'
import cors from '@fastify/cors'

export function corsOrigins(corsOrigin: string): true | string[] {
  return corsOrigin === '*' ? true : corsOrigin.split(',').map((origin) => origin.trim())
}

export async function registerCors(app: FastifyInstance, corsOrigin: string) {
  await app.register(cors, { origin: corsOrigins(corsOrigin) })
}
