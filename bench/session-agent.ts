// Child process of bench/session.ts: the fake SSM agent plus one loopback target server, in their
// own process so the benchmark measures djenv's CPU and memory alone.
//
// Target protocol, first line from the client: `GET <n>` → n bytes then close; `PUT <n>` → read n
// bytes, answer `OK`; `ECHO` → echo. Control on stdin/stdout, one JSON object per line:
//   → {"personality":"port-mux"} | {"personality":"exec-shell","command":"cat"}
//   ← {"sessionId":…,"streamUrl":…,"tokenValue":…}
import { createInterface } from 'node:readline'

import { FakeSsmAgent, type PersonalityName } from '../test/support/fake-ssm-agent.js'
import { listen } from '../test/support/tcp.js'

const block = Buffer.alloc(64 * 1024, 0x5a)

const target = await listen((socket) => {
  let head = Buffer.alloc(0)
  const onHead = (data: Buffer) => {
    head = Buffer.concat([head, data])
    const nl = head.indexOf(0x0a)
    if (nl < 0) return
    socket.off('data', onHead)
    const [verb, arg] = head.subarray(0, nl).toString().split(' ')
    const rest = head.subarray(nl + 1)
    const n = Number(arg)
    if (verb === 'GET') {
      let sent = 0
      const write = () => {
        while (sent < n) {
          const piece = n - sent >= block.length ? block : block.subarray(0, n - sent)
          sent += piece.length
          if (!socket.write(piece)) {
            socket.once('drain', write)
            return
          }
        }
        socket.end()
      }
      write()
    } else if (verb === 'PUT') {
      let got = rest.length
      const check = () => {
        if (got >= n) socket.end('OK')
      }
      socket.on('data', (d: Buffer) => {
        got += d.length
        check()
      })
      check()
    } else {
      socket.write(rest)
      socket.pipe(socket)
    }
  }
  socket.on('data', onHead)
})

const agent = await FakeSsmAgent.start()
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  const request = JSON.parse(line) as { personality: PersonalityName; command?: string }
  const session = agent.createSession({
    personality: request.personality,
    command: request.command,
    target: { host: '127.0.0.1', port: target.port },
    record: false,
  })
  process.stdout.write(`${JSON.stringify(session)}\n`)
})
lines.on('close', () => {
  void agent.close().then(() => target.close())
})
process.stdout.write('ready\n')
