// Preloaded into a child process: records every ESM resolution and, on exit, the CommonJS cache.
import { createRequire, register } from 'node:module'
import { writeFileSync } from 'node:fs'

const log = process.env.DJENV_LOAD_LOG
register('./record-loads-hooks.mjs', import.meta.url, { data: { log } })
const cache = createRequire(import.meta.url).cache
process.on('exit', () => writeFileSync(`${log}.cjs`, Object.keys(cache).join('\n')))
