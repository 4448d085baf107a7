// `npm start`: read the configuration, start, and stop cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { startServer } from './start.ts'
import { DatabaseUnreachableError } from '../db/connect.ts'

let config
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(`Configuration error: ${error.message}`)
  process.exit(1)
}

const logger = createLogger(config.logLevel)
try {
  const server = await startServer(config, logger)
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
  // An unreachable database is an operator's matter, said in one line; anything else gets its stack.
  if (error instanceof DatabaseUnreachableError) logger.fatal(`Jelly could not start: ${error.message}`)
  else logger.fatal({ err: error }, `Jelly could not start: ${(error as Error).message}`)
  process.exit(1)
}
