import { z } from 'zod'

import { configSchema } from './schema.js'

/** The JSON Schema editors use to complete and check djenv.yml, generated from the zod schema. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://unpkg.com/djenv/djenv.schema.json',
    title: 'djenv configuration',
    description: 'djenv.yml, djenv.json, or the [tool.djenv] table of pyproject.toml.',
    ...schema,
  }
}
