import type { Asker } from '../../src/ui/ask.js'

/** An Asker answering from a script keyed by question text (substring match); records questions. */
export function scriptedAsker(
  answers: Record<string, string | boolean>,
): Asker & { asked: string[] } {
  const asked: string[] = []
  const answer = (message: string) => {
    asked.push(message)
    const key = Object.keys(answers).find((k) => message.includes(k))
    if (key === undefined) throw new Error(`unexpected question: ${message}`)
    return answers[key] as string | boolean
  }
  return {
    asked,
    confirm: async (q) => Boolean(answer(q.message)),
    input: async (q) => {
      const value = String(answer(q.message))
      const verdict = q.validate?.(value)
      if (verdict !== undefined && verdict !== true) throw new Error(`answer rejected: ${verdict}`)
      return value === '' && q.default !== undefined ? q.default : value
    },
    select: async (q) => answer(q.message) as never,
    password: async (q) => String(answer(q.message)),
  }
}
