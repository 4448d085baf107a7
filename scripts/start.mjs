// `npm start`: build when a source is newer than the last build (as `npm run
// build` does), then run the compiled server in this same process.
import { build, isBuilt } from './build.mjs'

if (!isBuilt()) await build()
await import('../dist/server/main.js')
