import { Readable } from 'node:stream'

import { describe, expect, it } from 'vitest'

import { readStream } from '../../src/secrets/value.js'

describe('readStream', () => {
  it('decodes UTF-8 once at the end, so a character split across chunks survives', async () => {
    const bytes = Buffer.from('clé', 'utf8')
    const stream = Readable.from([bytes.subarray(0, 3), bytes.subarray(3)])

    expect(await readStream(stream)).toBe('clé')
  })
})
