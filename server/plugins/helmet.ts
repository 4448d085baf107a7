// @fastify/helmet: security headers on HTTP responses. The CSP allows only our
// own origin ('self'), so the chat page at / and the docs UI load their own
// scripts and styles; the docs UI sets its own stricter CSP on its static files.
// Cross-origin reads stay allowed, for the CORS clients and the badge.
import type { FastifyInstance } from 'fastify'
import helmet from '@fastify/helmet'

export async function registerHelmet(app: FastifyInstance) {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        // A server on plain http (localhost, behind a TLS proxy) must not send browsers to https for its own files.
        upgradeInsecureRequests: null,
      },
    },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  })
}
