// The chat page at `/`: plain files from public/, no build step. The page is a
// client like any other (POST /history, Socket.IO); the browser client script
// comes from Socket.IO itself at /socket.io/socket.io.js.
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import fastifyStatic from '@fastify/static'

const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url))

export const chatPage: FastifyPluginAsync = async (app) => {
  // One route per file found at start (no wildcard), hidden from the OpenAPI document.
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', wildcard: false, schemaHide: true })
}
