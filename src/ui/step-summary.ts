import { appendFileSync } from 'node:fs'

/**
 * Appends Markdown to the GitHub Actions job summary when djenv runs in a workflow
 * (GITHUB_STEP_SUMMARY names the file); does nothing elsewhere.
 */
export function appendStepSummary(env: NodeJS.ProcessEnv, markdown: string): boolean {
  const file = env.GITHUB_STEP_SUMMARY
  if (!file) return false
  appendFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`)
  return true
}
