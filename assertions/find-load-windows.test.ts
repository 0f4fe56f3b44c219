import { expect, test } from 'vitest';
import type { TimelineEvent, TimelineRecord } from '../core/events.ts';
import { formatExpectationThreshold } from './evaluate-expectation.ts';
import { findLoadWindows } from './find-load-windows.ts';

const at = (t: number, event: TimelineEvent): TimelineRecord => ({
  ...event,
  t,
  at: new Date(t).toISOString(),
});
const start = (t: number, profile: string) =>
  at(t, { type: 'load.start', profile, engine: 'open', model: 'open', durationMs: 10_000 });
const end = (t: number, profile: string, aborted?: boolean) =>
  at(t, { type: 'load.end', profile, requests: 1, errors: 0, dropped: 0, ...(aborted ? { aborted } : {}) });
const faultStart = (t: number, id: string) =>
  at(t, { type: 'fault.start', faultId: id, spec: 'error', where: 'x' });
const faultEnd = (t: number, id: string) => at(t, { type: 'fault.end', faultId: id, reason: 'completed' });

test.each([
  ['a clean load', [start(0, 'steady'), end(10, 'steady')], [{ profile: 'steady', toT: 10, faulted: false }]],
  [
    'a fault starting inside the load marks it',
    [start(0, 'background'), faultStart(2, 'f'), faultEnd(5, 'f'), end(10, 'background')],
    [{ profile: 'background', toT: 10, faulted: true }],
  ],
  [
    'a load starting while a fault is active is marked',
    [faultStart(0, 'f'), start(1, 'background'), faultEnd(5, 'f'), end(10, 'background')],
    [{ profile: 'background', toT: 10, faulted: true }],
  ],
  [
    'a healthy load before a chaos load stays healthy; an open one has no end',
    [start(0, 'steady'), end(10, 'steady'), start(11, 'background'), faultStart(12, 'f')],
    [
      { profile: 'steady', toT: 10, faulted: false },
      { profile: 'background', toT: undefined, faulted: true },
    ],
  ],
  [
    'an aborted load is not healthy',
    [start(0, 'steady'), end(3, 'steady', true)],
    [{ toT: 3, faulted: true }],
  ],
  [
    'overlapping loads pair by profile',
    [start(0, 'a'), start(1, 'b'), end(5, 'b'), end(8, 'a')],
    [
      { profile: 'a', toT: 8 },
      { profile: 'b', toT: 5 },
    ],
  ],
])('%s', (_name, records, expected) => {
  const windows = findLoadWindows(records);
  expect(windows).toHaveLength(expected.length);
  for (const [i, e] of expected.entries()) expect(windows[i]).toMatchObject(e);
});

test.each([
  [{ kind: 'alarm-fires', deadlineMs: 10_000 }, '<=10000ms'],
  [{ kind: 'alarm-stays-ok', deadlineMs: 12_001.635 }, '>=12002ms'],
  [{ kind: 'trace-appears', deadlineMs: null }, null],
])('formatExpectationThreshold(%o) = %s', (result, expected) => {
  expect(formatExpectationThreshold(result)).toBe(expected);
});
