import { FilterLogEventsCommand, StartLiveTailCommand } from '@aws-sdk/client-cloudwatch-logs'
import { beforeEach, describe, expect, it } from 'vitest'

import { envLogs, parseSince, type LabelledLogEvent } from '../../src/deploy/logs.js'
import { renderLogLine } from '../../src/ui/render/logs.js'
import { appMocks, envFixture, liveTailStream, testDeps } from '../support/app-env.js'

const mocks = appMocks()
const f = envFixture('pr-42')
const NOW = Date.parse('2026-11-20T10:00:00Z')

beforeEach(() => {
  mocks.reset()
  mocks.givenEnv(f)
})

describe('envLogs', () => {
  it('shows every service since --since, interleaved in time order and labelled', async () => {
    mocks.logs.on(FilterLogEventsCommand).resolves({
      events: [
        { logStreamName: 'worker/worker/bbbb2222', timestamp: NOW - 2_000, message: 'task done' },
        { logStreamName: 'web/web/aaaa1111cccc', timestamp: NOW - 3_000, message: 'GET / 200\n' },
      ],
    })
    const seen: LabelledLogEvent[] = []

    const result = await envLogs(
      { name: 'pr-42', follow: false, since: '10m', onEvent: (e) => seen.push(e) },
      testDeps(),
    )

    expect(seen).toEqual([
      {
        time: '2026-11-20T09:59:57.000Z',
        service: 'web',
        task: 'aaaa1111cccc',
        stream: 'web/web/aaaa1111cccc',
        message: 'GET / 200',
      },
      {
        time: '2026-11-20T09:59:58.000Z',
        service: 'worker',
        task: 'bbbb2222',
        stream: 'worker/worker/bbbb2222',
        message: 'task done',
      },
    ])
    expect(result).toEqual({
      env: 'pr-42',
      logGroup: f.logGroup,
      service: null,
      since: '2026-11-20T09:50:00.000Z',
      follow: false,
      mode: 'search',
      events: 2,
    })
    expect(mocks.logs).toHaveReceivedCommandWith(FilterLogEventsCommand, {
      logGroupName: f.logGroup,
      startTime: NOW - 600_000,
      endTime: NOW,
    })
    expect(renderLogLine(seen[0] as LabelledLogEvent)).toBe('09:59:57 web/aaaa1111     GET / 200')
  })

  it('narrows to one service by stream prefix', async () => {
    mocks.logs.on(FilterLogEventsCommand).resolves({ events: [] })

    await envLogs(
      { name: 'pr-42', service: 'web', follow: false, since: '1h', onEvent: () => undefined },
      testDeps(),
    )

    expect(mocks.logs).toHaveReceivedCommandWith(FilterLogEventsCommand, {
      logStreamNamePrefix: 'web/',
    })
  })

  it('follows with live tail after the history, showing a line both saw once', async () => {
    const stop = new AbortController()
    mocks.logs.on(FilterLogEventsCommand).resolves({
      events: [{ logStreamName: 'web/web/t1', timestamp: NOW - 1_000, message: 'old' }],
    })
    mocks.logs.on(StartLiveTailCommand).resolves({
      responseStream: liveTailStream(
        [
          [
            { stream: 'web/web/t1', timestamp: NOW - 1_000, message: 'old' },
            { stream: 'web/web/t1', timestamp: NOW + 1_000, message: 'new' },
          ],
        ],
        { onDelivered: () => stop.abort() },
      ),
    })
    const seen: string[] = []

    const result = await envLogs(
      { name: 'pr-42', follow: true, since: '10m', onEvent: (e) => seen.push(e.message) },
      testDeps({ signal: stop.signal }),
    )

    expect(seen).toEqual(['old', 'new'])
    expect(result).toMatchObject({ follow: true, mode: 'live', events: 2 })
    expect(mocks.logs).toHaveReceivedCommandWith(StartLiveTailCommand, {
      logGroupIdentifiers: [`arn:aws:logs:eu-west-1:123456789012:log-group:${f.logGroup}`],
    })
  })

  it('refuses a --since it cannot read, before any AWS call', async () => {
    await expect(
      envLogs(
        { name: 'pr-42', follow: false, since: 'yesterday', onEvent: () => undefined },
        testDeps(),
      ),
    ).rejects.toMatchObject({ djenvCode: 'USAGE', oclif: { exit: 2 } })
    expect(mocks.sts.calls()).toHaveLength(0)
  })
})

describe('parseSince', () => {
  it('reads durations and ISO times', () => {
    expect(parseSince('2h', NOW)).toBe(NOW - 7_200_000)
    expect(parseSince('2026-11-20T09:00:00Z', NOW)).toBe(NOW - 3_600_000)
  })
})
