// Runs initdb once for the installed PGlite into dist/pgdata-template, so that a
// server on a fresh DATA_DIR copies it instead of spending seconds on initdb
// (db/embedded-template.ts). Nothing to do when it is there already.
import { prepareTemplate } from '../dist/db/embedded-template.js'

await prepareTemplate()
