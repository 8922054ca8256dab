const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const

/** Parses `30m`, `12h`, `7d`, `2w` into milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,5})([mhdw])$/.exec(text.trim())
  if (!match) return undefined
  const [, amount, unit] = match
  const ms = Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  return ms > 0 ? ms : undefined
}
