import { expect, test } from 'vitest';
import { buildDrillDeltas, formatDrillDelta } from './drill-delta.ts';
import type { DrillReport } from './run-result.ts';

const drill = (ttd: number | null, ttr: number | null, failed: number): DrillReport => ({
  name: 'd',
  kind: 'dr',
  timeToDetectMs: ttd,
  timeToAlarmMs: null,
  timeToMitigateMs: null,
  timeToRecoverMs: ttr,
  impact: { requests: 100, failedRequests: failed, durationMs: ttr ?? 0 },
  actionItems: [],
});

test('no previous drill, no deltas', () => {
  expect(buildDrillDeltas(drill(1000, 5000, 3))).toEqual([]);
});

test('each measure: now, previous, now − previous', () => {
  const now = {
    ...drill(1000, 5000, 3),
    previous: { ...drill(3000, 4000, 3), runId: 'p', startedAt: '2026-01-01T00:00:00.000Z' },
  };
  expect(buildDrillDeltas(now).map((d) => [d.measure, d.now, d.previous, d.delta])).toEqual([
    ['time to detect', 1000, 3000, -2000],
    ['time to alarm', null, null, null],
    ['time to recover', 5000, 4000, 1000],
    ['impact duration', 5000, 4000, 1000],
    ['failed requests', 3, 3, 0],
  ]);
});

test.each([
  { delta: -2000, unit: 'ms' as const, text: '−2s (better)' },
  { delta: 1500, unit: 'ms' as const, text: '+1.5s (worse)' },
  { delta: 0, unit: 'requests' as const, text: '±0 (same)' },
  { delta: 7, unit: 'requests' as const, text: '+7 requests (worse)' },
  { delta: null, unit: 'ms' as const, text: '—' },
])('formatDrillDelta($delta $unit) → $text', ({ delta, unit, text }) => {
  expect(formatDrillDelta({ measure: 'time to detect', unit, now: 0, previous: 0, delta })).toBe(text);
});
