// `npm start`: read the configuration, start, and stop cleanly on SIGTERM/SIGINT.
// The database starts first (the embedded one boots in its own thread) while
// the rest of the app's modules load.
import { ConfigError, loadConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { connectDatabase } from '../db/connect.ts'

let config
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(`Configuration error: ${error.message}`)
  process.exit(1)
}

const logger = createLogger(config.logLevel)
const database = connectDatabase(config)
database.catch(() => undefined) // awaited below, after the import; this keeps an early failure from counting as unhandled
try {
  const { startServer } = await import('./start.ts')
  const server = await startServer(config, logger, await database)
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down')
      server.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed')
          process.exit(1)
        },
      )
    })
  }
} catch (error) {
  logger.fatal({ err: error }, `Jelly could not start: ${(error as Error).message}`)
  process.exit(1)
}
