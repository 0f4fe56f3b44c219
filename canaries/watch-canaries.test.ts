import { expect, test } from 'vitest';
import { type Clock, createManualClock } from '../core/clock.ts';
import type { CanaryRunResult } from '../core/run-result.ts';
import { scheduleIntervalMs, watchCanaries } from './watch-canaries.ts';

const result = (name: string): CanaryRunResult => ({
  name,
  type: 'api',
  status: 'passed',
  startedAt: '2026-01-01T00:00:00Z',
  durationMs: 5,
  attempts: 1,
  steps: [],
});

test('runs on the interval until aborted, then stops cleanly', async () => {
  const clock = createManualClock();
  const controller = new AbortController();
  const starts: number[] = [];
  const loop = watchCanaries({
    everyMs: 60_000,
    clock,
    signal: controller.signal,
    runOnce: async () => {
      starts.push(clock.now());
      return [result('a')];
    },
  });
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 1));
    await clock.advance(60_000);
  }
  await new Promise((r) => setTimeout(r, 1));
  controller.abort();
  expect(await loop).toBe(4);
  expect(starts).toEqual([0, 60_000, 120_000, 180_000]);
});

test('maxRuns bounds the loop', async () => {
  const runs = await watchCanaries({
    everyMs: 0,
    signal: new AbortController().signal,
    maxRuns: 3,
    runOnce: async () => [],
  });
  expect(runs).toBe(3);
});

test('each canary runs on its own interval: due canaries run together, the loop sleeps until the next is due', async () => {
  const clock = createManualClock();
  const controller = new AbortController();
  const rounds: string[] = [];
  const loop = watchCanaries({
    everyMs: 300_000,
    intervals: new Map([
      ['fast', 60_000],
      ['slow', 180_000],
    ]),
    clock,
    signal: controller.signal,
    runOnce: async (_iteration, due) => {
      rounds.push(`${clock.now() / 60_000}:${due?.join('+')}`);
      return (due ?? []).map(result);
    },
  });
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 1));
    await clock.advance(60_000);
  }
  await new Promise((r) => setTimeout(r, 1));
  controller.abort();
  await loop;
  expect(rounds).toEqual([
    '0:fast+slow',
    '1:fast',
    '2:fast',
    '3:fast+slow',
    '4:fast',
    '5:fast',
    '6:fast+slow',
  ]);
});

test('a timer that fires early runs no empty round: each round holds the canary that is due, on its schedule', async () => {
  // setTimeout drops the fraction of a millisecond, so the system clock can wake just before a canary is due.
  let now = 0;
  const early: Clock = {
    now: () => now,
    wall: () => new Date(now),
    sleep: async (ms) => {
      now += Math.max(0, ms - 0.7);
    },
  };
  const rounds: string[] = [];
  await watchCanaries({
    everyMs: 2_000,
    intervals: new Map([['items', 2_000]]),
    clock: early,
    signal: new AbortController().signal,
    maxRuns: 4,
    runOnce: async (iteration, due) => {
      rounds.push(`${iteration}@${Math.floor(now / 1000)}s:${due?.join('+')}`);
      return (due ?? []).map(result);
    },
  });
  expect(rounds).toEqual(['1@0s:items', '2@2s:items', '3@4s:items', '4@6s:items']);
});

test.each([
  ['rate(1 minute)', 60_000],
  ['rate(5 minutes)', 300_000],
  ['rate(2 hours)', 7_200_000],
  ['rate(1 day)', 86_400_000],
  ['rate(0 minute)', undefined],
  ['cron(0/5 * * * ? *)', undefined],
  ['every 5 minutes', undefined],
])('schedule %s runs locally every %s ms', (schedule, ms) => {
  expect(scheduleIntervalMs(schedule)).toBe(ms);
});
