import { Transform } from 'node:stream'

/**
 * Turns the pty's `\r\n` line ends back into `\n` for output that goes to a file or a pipe
 * (ssm-protocol.md §11: a djenv choice). A trailing `\r` waits for the next chunk.
 */
export function crlfToLf(): Transform {
  let pendingCr = false
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let data = pendingCr ? Buffer.concat([Buffer.from('\r'), chunk]) : chunk
      pendingCr = data.length > 0 && data[data.length - 1] === 0x0d
      if (pendingCr) data = data.subarray(0, data.length - 1)
      callback(null, Buffer.from(data.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'))
    },
    flush(callback) {
      callback(null, pendingCr ? Buffer.from('\r') : undefined)
    },
  })
}
