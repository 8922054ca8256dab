// Runs the CLI from its TypeScript sources after importing every command file (the manifest
// would otherwise let --help skip them): one stray top-level import of a heavy module in any
// command then shows up in the load log.
import { fileURLToPath } from 'node:url'

import { Config, flush, handle, run } from '@oclif/core'

process.env.NODE_ENV = 'development'
const config = await Config.load(fileURLToPath(new URL('../..', import.meta.url)))
for (const command of config.commands) await command.load()
await run(process.argv.slice(2), config)
  .then(() => flush())
  .catch((error) => handle(error))
