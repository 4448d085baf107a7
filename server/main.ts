// `npm start`: read the configuration, start, and stop cleanly on SIGTERM/SIGINT.
import { setFlagsFromString } from 'node:v8'
import { ConfigError, loadConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { DatabaseUnreachableError } from '../db/connect.ts'
import { startEmbeddedPostgres } from '../db/embedded.ts'

// Under load V8 lets the heap grow to up to four times what survives a full collection,
// and that was most of the server's memory. Doubling at most took the peak from ~330 to
// ~270 MB at 50 busy conversations and from ~630 to ~440 MB at 1,000, at the same CPU per
// turn; growing by 30 % or 60 % cost CPU (bench/versus-relay.ts, A/B runs). Read at every
// collection, so setting it now, before the app loads, is in time.
setFlagsFromString('--heap-growing-percent=100')

let config
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(`Configuration error: ${error.message}`)
  process.exit(1)
}

const logger = createLogger(config.logLevel)
// The embedded database's worker thread takes about half a second to open it:
// it starts now, on the other core, while this thread loads the app's modules.
const embedded = config.databaseUrl ? undefined : startEmbeddedPostgres(config.dataDir)
// Its failure (say, DATA_DIR in use) is reported where it is awaited, below.
embedded?.catch(() => undefined)
try {
  const { startServer } = await import('./start.ts')
  const server = await startServer(config, logger, {}, { embedded })
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
  // An unreachable database is an operator's matter, said in one line; anything else gets its stack.
  if (error instanceof DatabaseUnreachableError) logger.fatal(`Jelly could not start: ${error.message}`)
  else logger.fatal({ err: error }, `Jelly could not start: ${(error as Error).message}`)
  process.exit(1)
}
