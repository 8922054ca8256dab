import { Readable } from 'node:stream'

/** A recorded HTTP response, as an AWS endpoint sent it. */
export interface Recorded {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * An SDK requestHandler that answers from recorded responses, keyed by operation (the
 * X-Amz-Target header of JSON protocols, the Action of query protocols). Each key is a queue,
 * so polling flows replay in order. The SDK's real serializers, deserializers and typed
 * errors all run; nothing leaves the process.
 */
export function replay(fixtures: Record<string, Recorded[]>) {
  return {
    async handle(req: { headers: Record<string, string>; body?: unknown }) {
      const key =
        req.headers['x-amz-target'] ??
        new URLSearchParams(String(req.body ?? '')).get('Action') ??
        undefined
      const next = key ? fixtures[key]?.shift() : undefined
      if (!next) throw new Error(`no recorded response for ${key}`)
      const body = Readable.from([Buffer.from(next.body)])
      return { response: { statusCode: next.status, headers: next.headers, body } }
    },
  }
}
