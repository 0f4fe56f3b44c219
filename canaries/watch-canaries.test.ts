import { expect, test } from 'vitest';
import { createManualClock } from '../core/clock.ts';
import type { CanaryRunResult } from '../core/run-result.ts';
import { watchCanaries } from './watch-canaries.ts';

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
