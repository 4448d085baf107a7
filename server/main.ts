// `npm start`: read the configuration, start, and stop cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { startServer } from './start.ts'

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
  // The first signal drains; a repeat (npm and a terminal both relay Ctrl-C) does
  // not cut turns short; only a third forces the exit.
  let signals = 0
  const onSignal = (signal: NodeJS.Signals) => {
    signals++
    if (signals === 1) {
      logger.info({ signal }, 'shutting down')
      server.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed')
          process.exit(1)
        },
      )
    } else if (signals === 2) {
      logger.warn({ signal }, 'still shutting down; a third signal forces the exit')
    } else {
      logger.error({ signal }, 'forced exit: turns still running are lost')
      process.exit(1)
    }
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
} catch (error) {
  logger.fatal({ err: error }, `Jelly could not start: ${(error as Error).message}`)
  process.exit(1)
}
