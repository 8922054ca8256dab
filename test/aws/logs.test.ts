import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ResourceNotFoundException,
  StartLiveTailCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'

import { createAws } from '../../src/aws/clients.js'
import { followLogs, logGroupArn, searchLogs, type LogEvent } from '../../src/aws/logs.js'
import { liveTailStream } from '../support/app-env.js'
import { fakeClock } from '../support/fake-clock.js'

const logs = mockClient(CloudWatchLogsClient)
const api = createAws({ region: 'eu-west-1' }).logs
const group = '/djenv/shop/dev/pr-42'
const groupArn = 'arn:aws:logs:eu-west-1:123456789012:log-group:/djenv/shop/dev/pr-42'
const stream = 'migrate/migrate/abc123'

beforeEach(() => {
  logs.reset()
  logs.onAnyCommand().rejects(new Error('unexpected AWS call'))
})

describe('logGroupArn', () => {
  it('builds the ARN live tail needs, in the partition of the region', () => {
    expect(logGroupArn('eu-west-1', '123456789012', group)).toBe(groupArn)
    expect(logGroupArn('cn-north-1', '123456789012', '/g')).toBe(
      'arn:aws-cn:logs:cn-north-1:123456789012:log-group:/g',
    )
  })
})

describe('followLogs', () => {
  it('streams live tail events as they arrive, for the selected stream', async () => {
    const until = new AbortController()
    logs.on(StartLiveTailCommand).resolves({
      responseStream: liveTailStream(
        [
          [{ stream, message: 'Operations to perform:\n' }],
          [
            { stream, message: 'Applying shop.0042_order_total... OK' },
            { stream, message: 'done' },
          ],
        ],
        { onDelivered: () => until.abort() },
      ),
    })
    const seen: LogEvent[] = []

    const mode = await followLogs(
      api,
      { group, groupArn, streams: [stream] },
      (e) => seen.push(e),
      {
        clock: fakeClock(),
        region: 'eu-west-1',
        until: until.signal,
        startTime: 0,
      },
    )

    expect(mode).toBe('live')
    expect(seen.map((e) => e.message)).toEqual([
      'Operations to perform:',
      'Applying shop.0042_order_total... OK',
      'done',
    ])
    expect(logs).toHaveReceivedCommandWith(StartLiveTailCommand, {
      logGroupIdentifiers: [groupArn],
      logStreamNames: [stream],
    })
  })

  it('starts a new session when one reaches its time limit', async () => {
    const until = new AbortController()
    logs
      .on(StartLiveTailCommand)
      .resolvesOnce({
        responseStream: liveTailStream([[{ stream, message: 'first', timestamp: 1 }]], {
          end: 'timeout',
        }),
      })
      .resolves({
        responseStream: liveTailStream([[{ stream, message: 'second', timestamp: 2 }]], {
          onDelivered: () => until.abort(),
        }),
      })
    const seen: string[] = []

    await followLogs(api, { group, groupArn, prefix: 'web/' }, (e) => seen.push(e.message), {
      clock: fakeClock(),
      region: 'eu-west-1',
      until: until.signal,
      startTime: 0,
    })

    expect(seen).toEqual(['first', 'second'])
    expect(logs).toHaveReceivedCommandTimes(StartLiveTailCommand, 2)
  })

  it('polls GetLogEvents when live tail is refused, until the stream is complete', async () => {
    const until = new AbortController()
    const fallbacks: string[] = []
    logs
      .on(StartLiveTailCommand)
      .rejects(Object.assign(new Error('not supported'), { name: 'UnknownOperationException' }))
    let calls = 0
    logs.on(GetLogEventsCommand).callsFake((input: { nextToken?: string }) => {
      calls += 1
      if (calls === 1)
        throw new ResourceNotFoundException({ message: 'no stream yet', $metadata: {} })
      if (!input.nextToken)
        return { events: [{ timestamp: 1, message: 'one' }], nextForwardToken: 'f/1' }
      if (input.nextToken === 'f/1' && calls < 5) return { events: [], nextForwardToken: 'f/1' }
      if (input.nextToken === 'f/1') {
        until.abort() // the task stopped; one last read follows
        return { events: [{ timestamp: 2, message: 'two' }], nextForwardToken: 'f/2' }
      }
      return { events: [{ timestamp: 3, message: 'three' }], nextForwardToken: 'f/3' }
    })
    const seen: string[] = []

    const mode = await followLogs(
      api,
      { group, groupArn, streams: [stream] },
      (e) => seen.push(e.message),
      {
        clock: fakeClock(),
        region: 'eu-west-1',
        until: until.signal,
        startTime: 0,
        catchUp: true,
        onFallback: (reason) => fallbacks.push(reason),
      },
    )

    expect(mode).toBe('polling')
    expect(fallbacks).toEqual(['UnknownOperationException: not supported'])
    expect(seen).toEqual(['one', 'two', 'three'])
    expect(logs).toHaveReceivedCommandWith(GetLogEventsCommand, {
      logGroupName: group,
      logStreamName: stream,
      startFromHead: true,
      nextToken: 'f/2',
    })
  })

  it('falls back to polling from the last line when the live stream breaks off', async () => {
    const until = new AbortController()
    logs.on(StartLiveTailCommand).resolves({
      responseStream: liveTailStream([[{ stream: 'web/web/t1', message: 'live', timestamp: 5 }]], {
        end: 'close',
      }),
    })
    logs.on(FilterLogEventsCommand).callsFake(() => {
      until.abort()
      return {
        events: [
          { logStreamName: 'web/web/t1', timestamp: 5, message: 'live' },
          { logStreamName: 'web/web/t1', timestamp: 6, message: 'polled' },
        ],
      }
    })
    const seen: string[] = []

    const mode = await followLogs(api, { group, groupArn }, (e) => seen.push(e.message), {
      clock: fakeClock(),
      region: 'eu-west-1',
      until: until.signal,
      startTime: 0,
    })

    expect(mode).toBe('polling')
    expect(seen).toEqual(['live', 'polled']) // the line both saw is shown once
    expect(logs).toHaveReceivedCommandWith(FilterLogEventsCommand, { startTime: 5 })
  })
})

describe('searchLogs', () => {
  it('reads every page, each in time order, and names a missing log group', async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [
          { logStreamName: 'worker/worker/t2', timestamp: 20, message: 'b' },
          { logStreamName: 'web/web/t1', timestamp: 10, message: 'a' },
        ],
        nextToken: 'p2',
      })
      .resolvesOnce({ events: [{ logStreamName: 'web/web/t1', timestamp: 30, message: 'c' }] })
    const seen: string[] = []

    const count = await searchLogs(api, { group, groupArn }, { startTime: 0 }, 'eu-west-1', (e) =>
      seen.push(`${e.stream} ${e.message}`),
    )

    expect(count).toBe(3)
    expect(seen).toEqual(['web/web/t1 a', 'worker/worker/t2 b', 'web/web/t1 c'])
    expect(logs).toHaveReceivedCommandWith(FilterLogEventsCommand, { nextToken: 'p2' })

    logs
      .on(FilterLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }))
    await expect(
      searchLogs(api, { group, groupArn }, { startTime: 0 }, 'eu-west-1', () => undefined),
    ).rejects.toMatchObject({ djenvCode: 'ENV_NOT_FOUND', message: expect.stringContaining(group) })
  })
})
