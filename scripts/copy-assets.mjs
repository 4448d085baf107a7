// The compiled code reads the folders next to it as the sources do (dist/db/migrate.js
// reads ../migrations, dist/server/routes/page.js ../../public, dist/server/app.js
// ../package.json for the API version), so they are copied into dist/; tsc only emits code.
import { copyFileSync, cpSync, rmSync } from 'node:fs'

for (const folder of ['migrations', 'public']) {
  rmSync(`dist/${folder}`, { recursive: true, force: true })
  cpSync(folder, `dist/${folder}`, { recursive: true })
}
copyFileSync('package.json', 'dist/package.json')
