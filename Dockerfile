# syntax=docker/dockerfile:1
# Stage 1: compile TypeScript to JavaScript in dist/ (with the dev dependencies), and
# run initdb once into dist/pgdata-template: a new /data copies it instead.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY server ./server
COPY agent ./agent
COPY tools ./tools
COPY knowledge ./knowledge
COPY db ./db
COPY lib ./lib
COPY migrations ./migrations
COPY public ./public
RUN npm run build

# Stage 2: production dependencies only (no tap, no TypeScript compiler).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Stage 3: the runtime image, as the unprivileged `node` user: compiled code, run by plain node.
FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0 DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# node is PID 1 without a shell or loader in between, so it gets SIGTERM itself and drains turns.
CMD ["node", "dist/server/main.js"]
