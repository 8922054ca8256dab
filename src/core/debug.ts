import createDebug from 'debug'

/** Developer diagnostics: `DEBUG=djenv*` or `--verbose` shows them on stderr. */
export function debugFor(capability: string): createDebug.Debugger {
  return createDebug(`djenv:${capability}`)
}

export function enableVerbose(): void {
  const current = process.env.DEBUG
  createDebug.enable(current ? `${current},djenv*` : 'djenv*')
}
