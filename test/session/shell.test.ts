import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  ExitMarkerFilter,
  newExitMarker,
  openShellSession,
  wrapCommand,
  type ShellSession,
  type ShellSessionOptions,
} from '../../src/session/shell.js'
import { FakeSsmAgent, type FakeSessionSpec } from '../support/fake-ssm-agent.js'
import { shlexSplit } from '../support/fake-ssm-wire.js'

let agent: FakeSsmAgent

beforeAll(async () => {
  agent = await FakeSsmAgent.start()
})

afterAll(async () => {
  await agent.close()
})

interface Run {
  shell: ShellSession
  output: () => string
  sessionId: string
}

async function start(
  spec: Omit<FakeSessionSpec, 'personality'> & { personality?: FakeSessionSpec['personality'] },
  options: ShellSessionOptions = {},
): Promise<Run> {
  const target = agent.createSession({ personality: 'exec-shell', ...spec })
  const shell = await openShellSession(target, { firstMessageGraceMs: 300, ...options })
  const chunks: Buffer[] = []
  shell.stdout.on('data', (d: Buffer) => chunks.push(d))
  return { shell, output: () => Buffer.concat(chunks).toString(), sessionId: target.sessionId }
}

/** Runs argv wrapped (§12) and returns what the user would see and the exit status. */
async function exec(
  argv: string[],
  spec: Partial<FakeSessionSpec> = {},
  options: ShellSessionOptions = {},
) {
  const wrapped = wrapCommand(argv)
  const run = await start(
    { ...spec, command: wrapped.command },
    { marker: wrapped.marker, ...options },
  )
  const exit = await run.shell.exit
  return { ...run, exit, marker: wrapped.marker }
}

function waitFor(run: Run, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (run.output().includes(text)) {
        run.shell.stdout.off('data', check)
        resolve()
      }
    }
    run.shell.stdout.on('data', check)
    check()
  })
}

describe('wrapCommand', () => {
  it('survives the agent shlex split as exactly ["sh", "-c", script]', () => {
    const argv = ['python', "it's", 'a b', '$HOME', '"q"', '\\', '#not-a-comment']

    const { command, marker } = wrapCommand(argv, '__DJENV_RC_0123456789abcdef0123456789abcdef__')
    const words = shlexSplit(command)

    expect(words).toHaveLength(3)
    expect(words.slice(0, 2)).toEqual(['sh', '-c'])
    expect(words[2]).toBe(
      `trap : INT QUIT; 'python' 'it'\\''s' 'a b' '$HOME' '"q"' '\\' '#not-a-comment'; r=$?; printf '\\n${marker}%d\\n' "$r"; exit "$r"`,
    )
  })

  it('makes a fresh 128-bit marker per call', () => {
    expect(newExitMarker()).toMatch(/^__DJENV_RC_[0-9a-f]{32}__$/)
    expect(newExitMarker()).not.toBe(newExitMarker())
  })

  it('refuses an empty argv', () => {
    expect(() => wrapCommand([])).toThrow(RangeError)
  })
})

describe('ExitMarkerFilter', () => {
  const marker = '__DJENV_RC_0123456789abcdef0123456789abcdef__'
  const stream = Buffer.from(`line 1\r\nline 2\r\n\r\n${marker}42\r\n`)

  it.each([1, 2, 3, 7, 16, stream.length])(
    'removes the marker line exactly, whatever the chunking (%i-byte pieces)',
    (size) => {
      const filter = new ExitMarkerFilter(marker)
      const out: Buffer[] = []

      for (let off = 0; off < stream.length; off += size)
        out.push(filter.write(stream.subarray(off, off + size)))
      out.push(filter.end())

      expect(Buffer.concat(out).toString()).toBe('line 1\r\nline 2\r\n')
      expect(filter.exitCode).toBe(42)
    },
  )

  it('passes output through at once, holding back only a possible marker start', () => {
    const filter = new ExitMarkerFilter(marker)

    expect(filter.write(Buffer.from('abc')).toString()).toBe('abc')
    expect(filter.write(Buffer.from('def\r\n')).toString()).toBe('def')
    expect(filter.write(Buffer.from('__DJENV_RC_01')).toString()).toBe('')
    expect(filter.write(Buffer.from('X')).toString()).toBe('\r\n__DJENV_RC_01X')
    expect(filter.end().toString()).toBe('')
    expect(filter.exitCode).toBeNull()
  })

  it('releases a held line break on request and still recognises a later marker', () => {
    const filter = new ExitMarkerFilter(marker)

    const first = filter.write(Buffer.from('tail -f line\r\n'))
    const released = filter.releaseNewline()
    const rest = filter.write(Buffer.from(`${marker}0\r\n`))

    expect(first.toString() + released.toString() + rest.toString()).toBe('tail -f line\r\n')
    expect(filter.exitCode).toBe(0)
  })

  it('emits an incomplete marker at the end as ordinary output', () => {
    const filter = new ExitMarkerFilter(marker)

    const out = filter.write(Buffer.from(`x\r\n${marker}4`))

    expect(out.toString() + filter.end().toString()).toBe(`x\r\n${marker}4`)
    expect(filter.exitCode).toBeNull()
  })
})

describe('openShellSession with a real bash behind the fake agent', () => {
  it.each([
    [['sh', '-c', 'echo hello'], 0, 'hello\r\n'],
    [['sh', '-c', 'echo oops >&2; exit 1'], 1, 'oops\r\n'],
    [['sh', '-c', 'printf partial; exit 42'], 42, 'partial'],
    [['bash', '-c', 'kill -TERM $$'], 143, 'Terminated\r\n'], // the wrapping sh reports the signal
    [['sh', '-c', 'exec kill -KILL $$'], 137, 'Killed\r\n'],
  ])('%j exits %i with exactly its output', async (argv, code, output) => {
    const run = await exec(argv)

    expect(run.exit).toEqual({ exitCode: code, closedOutput: '' })
    expect(run.output()).toBe(output)
    expect(agent.session(run.sessionId).violations).toEqual([])
  })

  it('reports 127 and the shell message for a command that does not exist', async () => {
    const run = await exec(['no-such-command-djenv'])

    expect(run.exit.exitCode).toBe(127)
    expect(run.output()).toMatch(/no-such-command-djenv: not found/)
  })

  it('reports an unknown exit status when the output tail is lost after exit', async () => {
    const run = await exec(['sh', '-c', 'echo done'], { faults: { loseTailAfterExit: true } })

    expect(run.exit.exitCode).toBeNull()
  })

  it('ignores publication messages, agent_session_state, unknown types and text frames', async () => {
    const run = await exec(['sh', '-c', 'echo fine'], { faults: { noise: true } })

    expect(run.exit.exitCode).toBe(0)
    expect(run.output()).toBe('fine\r\n')
  })

  it('reports an unknown exit status when the marker never comes', async () => {
    const run = await start({ command: 'sh -c "echo bye"' }, { marker: newExitMarker() })

    const exit = await run.shell.exit

    expect(exit.exitCode).toBeNull()
    expect(run.output()).toBe('bye\r\n')
  })

  it('sends one Size at start and on resize, and the pty takes it', async () => {
    const run = await start(
      { command: wrapCommand(['sh', '-c', 'read a; stty size; read b; stty size']).command },
      { size: { cols: 80, rows: 24 } },
    )

    run.shell.stdin.write('\n')
    await waitFor(run, '24 80')
    await run.shell.resize({ cols: 120, rows: 40 })
    run.shell.stdin.write('\n')
    await waitFor(run, '40 120')
    await run.shell.exit

    expect(agent.session(run.sessionId).sizes).toEqual([
      { cols: 80, rows: 24 },
      { cols: 120, rows: 40 },
    ])
    expect(agent.session(run.sessionId).violations).toEqual([])
  })

  it('delivers Ctrl-C to the remote process group and still reports the status', async () => {
    const wrapped = wrapCommand([
      'sh',
      '-c',
      'trap "echo caught; exit 3" INT; echo ready; while :; do sleep 0.05; done',
    ])
    const run = await start({ command: wrapped.command }, { marker: wrapped.marker })

    await waitFor(run, 'ready')
    run.shell.stdin.write('\x03')
    const exit = await run.shell.exit

    expect(exit.exitCode).toBe(3)
    expect(run.output()).toContain('caught')
  })

  it('reports 130 for a command killed by Ctrl-C', async () => {
    const wrapped = wrapCommand(['sh', '-c', 'echo ready; exec sleep 30'])
    const run = await start({ command: wrapped.command }, { marker: wrapped.marker })

    await waitFor(run, 'ready')
    run.shell.stdin.write('\x03')

    expect((await run.shell.exit).exitCode).toBe(130)
  })

  it('retransmits input the agent dropped while its pty was not ready', async () => {
    const wrapped = wrapCommand(['sh', '-c', 'read line; echo "got $line"'])
    const run = await start(
      { command: wrapped.command, notReadyMs: 400 },
      { marker: wrapped.marker },
    )

    run.shell.stdin.write('early\n')
    const exit = await run.shell.exit

    expect(exit.exitCode).toBe(0)
    expect(run.output()).toContain('got early')
    const sizeCopies = agent
      .session(run.sessionId)
      .frames.filter((f) => f.dir === 'in' && f.seq === 0 && f.type === 'input_stream_data')
    expect(sizeCopies.length).toBeGreaterThan(1)
  })

  it('recovers from lost, duplicated, reordered and 7-byte output under load', async () => {
    const run = await exec(['sh', '-c', 'seq 1 3000'], {
      faults: {
        dropFirstInput: 2,
        duplicateOutput: true,
        reorderOutput: true,
        outputChunkSize: 7,
        gapOutput: [5],
        corruptDigest: [9],
      },
    })

    const expected = Array.from({ length: 3000 }, (_, i) => `${i + 1}\r\n`).join('')
    expect(run.exit.exitCode).toBe(0)
    expect(run.output()).toBe(expected)
    expect(agent.session(run.sessionId).violations).toEqual([])
  })

  it('ends with channel_closed, reporting its reason and an unknown status', async () => {
    const wrapped = wrapCommand(['sh', '-c', 'echo ready; sleep 30'])
    const run = await start({ command: wrapped.command }, { marker: wrapped.marker })
    await waitFor(run, 'ready')

    agent
      .session(run.sessionId)
      .closeChannel('Your session timed out due to inactivity and has been terminated.')

    await expect(run.shell.exit).resolves.toEqual({
      exitCode: null,
      closedOutput: 'Your session timed out due to inactivity and has been terminated.',
    })
  })

  it('handles an InteractiveCommands handshake before any I/O', async () => {
    const wrapped = wrapCommand(['sh', '-c', 'read x; stty size; exit 5'])
    const run = await start(
      { personality: 'exec-shell-handshake', command: wrapped.command },
      { marker: wrapped.marker, size: { cols: 90, rows: 30 } },
    )

    run.shell.stdin.write('\n')
    const exit = await run.shell.exit

    expect(exit.exitCode).toBe(5)
    expect(run.output()).toBe('\r\n30 90\r\n')
    const session = agent.session(run.sessionId)
    expect(session.clientVersion).toBe('1.2.677.0')
    expect(session.violations).toEqual([])
    expect(session.sizes).toEqual([{ cols: 90, rows: 30 }])
    await expect(run.shell.started).resolves.toMatchObject({
      handshake: true,
      agentVersion: '3.3.987.0',
      encrypted: false,
    })
  })

  it.each([true, false])(
    'runs a KMS-encrypted session (Challenge in the request: %s)',
    async (challenge) => {
      const wrapped = wrapCommand(['sh', '-c', 'read x; echo "secret $x"'])
      const run = await start(
        {
          personality: 'exec-kms',
          kms: { challenge },
          targetId: 'ecs:shop_abc_123',
          command: wrapped.command,
        },
        {
          marker: wrapped.marker,
          generateDataKey: agent.kms.generateDataKey,
          targetId: 'ecs:shop_abc_123',
        },
      )

      const started = await run.shell.started
      run.shell.stdin.write('42\n')
      const exit = await run.shell.exit

      expect(started).toMatchObject({
        encrypted: true,
        customerMessage: 'This session is encrypted using AWS KMS.',
      })
      expect(exit.exitCode).toBe(0)
      expect(run.output()).toContain('secret 42')
      const context = agent.kms.calls.at(-1)!.encryptionContext
      expect(context['aws:ssm:SessionId']).toBe(run.sessionId)
      expect(context['aws:ssm:TargetId']).toBe('ecs:shop_abc_123')
      expect('aws:ssm:RandomChallenge' in context).toBe(challenge)
      const session = agent.session(run.sessionId)
      const wire = session.frames
        .filter((f) => f.payloadType === 1 && f.payload)
        .map((f) => f.payload!.toString('latin1'))
      expect(wire.join('')).not.toContain('secret')
      expect(session.violations).toEqual([])
    },
  )

  it('answers Unsupported to KMS without a key provider and fails naming the setting', async () => {
    const run = await start({ personality: 'exec-kms', command: 'sh' })

    await expect(run.shell.exit).rejects.toMatchObject({
      djenvCode: 'SESSION_FAILED',
      hint: expect.stringMatching(/kmsKeyId/),
    })
    const response = agent.session(run.sessionId).handshakeResponse as {
      ProcessedClientActions: unknown[]
    }
    expect(response.ProcessedClientActions).toContainEqual(
      expect.objectContaining({ ActionType: 'KMSEncryption', ActionStatus: 3 }),
    )
  })
})
