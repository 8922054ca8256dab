import type { Reporter } from '../../src/ui/reporter.js'

/** A Reporter that records steps, details and messages instead of printing them. */
export function recordingReporter(): Reporter & {
  steps: string[]
  details: string[]
  infos: string[]
  warnings: string[]
} {
  const steps: string[] = []
  const details: string[] = []
  const infos: string[] = []
  const warnings: string[] = []
  return {
    steps,
    details,
    infos,
    warnings,
    async step(title, work) {
      steps.push(title)
      return work({ detail: (text) => details.push(text) })
    },
    info: (text) => infos.push(text),
    warn: (text) => warnings.push(text),
  }
}
