// oclif 4 imports a command from the manifest's `relativePath` (dist/commands/…) even in
// development and test mode, so tests would run stale compiled code, or fail with no build.
// Without it, oclif finds each command under its commands directory, which it maps to
// src/commands when running from TypeScript and uses dist/commands in production.
import { readFileSync, writeFileSync } from 'node:fs'

const file = new URL('../oclif.manifest.json', import.meta.url)
const manifest = JSON.parse(readFileSync(file, 'utf8'))
for (const command of Object.values(manifest.commands)) {
  delete command.relativePath
  delete command.isESM
}
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`)
