import { expect, test } from 'vitest';
import type { RecordOf } from '../core/events.ts';
import { formatEvent } from './format-event.ts';

function tick(fields: Partial<RecordOf<'load.tick'>>): RecordOf<'load.tick'> {
  return {
    type: 'load.tick',
    profile: 'steady',
    second: 10,
    rps: 30000,
    errors: 0,
    p50: 1.1,
    p99: 4.25,
    inFlight: 12,
    dropped: 0,
    t: 10_000,
    at: '2026-11-22T12:00:10.000Z',
    ...fields,
  };
}

test.each([
  { name: 'only every fifth second', fields: { second: 11 }, line: undefined },
  {
    name: 'rate, errors, p99, in flight',
    fields: {},
    line: 'load steady 10s: 30000 req/s, 0 errors, p99 4.3 ms, 12 in flight',
  },
  {
    name: 'dropped arrivals when there were any',
    fields: { dropped: 420, inFlight: 1000 },
    line: 'load steady 10s: 30000 req/s, 0 errors, p99 4.3 ms, 1000 in flight, 420 dropped',
  },
  {
    name: 'open connections when the engine reports them',
    fields: { connections: 64 },
    line: 'load steady 10s: 30000 req/s, 0 errors, p99 4.3 ms, 12 in flight, 64 connections',
  },
  {
    name: 'one connection, singular',
    fields: { connections: 1, inFlight: 0 },
    line: 'load steady 10s: 30000 req/s, 0 errors, p99 4.3 ms, 0 in flight, 1 connection',
  },
])('load.tick: $name', ({ fields, line }) => {
  expect(formatEvent(tick(fields))).toBe(line);
});

test.each([
  {
    name: 'counts when it finished',
    fields: { requests: 20000, errors: 3, dropped: 0 },
    line: 'load steady done: 20000 requests, 3 errors, 0 dropped',
  },
  {
    name: 'no made-up zeros when it was stopped',
    fields: { requests: 0, errors: 0, dropped: 0, aborted: true },
    line: 'load steady stopped before it finished',
  },
  {
    name: 'what was measured when Ctrl-C stopped it',
    fields: { requests: 472, errors: 1, dropped: 2, aborted: true },
    line: 'load steady stopped before it finished, after 472 requests, 1 errors, 2 dropped',
  },
])('load.end: $name', ({ fields, line }) => {
  const record: RecordOf<'load.end'> = {
    type: 'load.end',
    profile: 'steady',
    t: 10_000,
    at: '2026-11-22T12:00:10.000Z',
    ...fields,
  };
  expect(formatEvent(record)).toBe(line);
});

test.each([
  [{}, 'canary checkout passed in 420 ms'],
  [{ stage: 'canaries' }, 'canary checkout passed in 420 ms'],
  [{ stage: 'canaries-after' }, 'canary checkout (after chaos) passed in 420 ms'],
] as const)('canary.end %o: %s', (fields, line) => {
  const record: RecordOf<'canary.end'> = {
    type: 'canary.end',
    canary: 'checkout',
    status: 'passed',
    durationMs: 420,
    t: 1000,
    at: '2026-11-22T12:00:01.000Z',
    ...fields,
  };
  expect(formatEvent(record)).toBe(line);
});
