/**
 * Splits a configured command into words the way a shell would, without expansion:
 * whitespace separates, single and double quotes group, backslash escapes.
 * A list is taken as it is.
 */
export function commandWords(command: string | readonly string[]): string[] {
  if (typeof command !== 'string') return [...command]
  const words: string[] = []
  let current = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < command.length; i++) {
    const ch = command[i] as string
    if (quote) {
      if (ch === quote) quote = undefined
      else if (ch === '\\' && quote === '"' && i + 1 < command.length) current += command[++i]
      else current += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
    } else if (ch === '\\' && i + 1 < command.length) {
      current += command[++i]
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current)
      current = ''
      inWord = false
    } else {
      current += ch
      inWord = true
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in command: ${command}`)
  if (inWord) words.push(current)
  return words
}
