import { expect, test } from 'vitest';
import type { LoadSummary } from '../core/run-result.ts';
import { evaluateBaseline, parseBaseline } from './evaluate-baseline.ts';

const summary = (p50: number, p95: number, p99: number, errorRate: number) =>
  ({ latencyMs: { p50, p95, p99 }, errorRate }) as LoadSummary;

test.each([
  { name: 'identical', now: [100, 200, 300, 0.01], failed: [] },
  { name: 'within 10 %', now: [109, 219, 329, 0.0109], failed: [] },
  { name: 'p99 +20 %', now: [100, 200, 360, 0.01], failed: ['baseline:p99'] },
  {
    name: 'all worse',
    now: [120, 240, 360, 0.02],
    failed: ['baseline:p50', 'baseline:p95', 'baseline:p99', 'baseline:errorRate'],
  },
  { name: 'better', now: [50, 100, 150, 0], failed: [] },
])('$name → regressions $failed', ({ now, failed }) => {
  const checks = evaluateBaseline(
    summary(...(now as [number, number, number, number])),
    summary(100, 200, 300, 0.01),
  );
  expect(checks.filter((c) => c.status === 'failed').map((c) => c.id)).toEqual(failed);
  expect(checks.every((c) => c.kind === 'baseline')).toBe(true);
});

test.each([
  // 1.2 ms → 4 ms is +233 % but under the 5 ms floor: noise, not a regression.
  { before: [1.2, 2, 3, 0], now: [4, 6, 7.9, 0.0009], failed: [] },
  { before: [1.2, 2, 3, 0], now: [6.3, 2, 3, 0.002], failed: ['baseline:p50', 'baseline:errorRate'] },
])('absolute floor: $before → $now', ({ before, now, failed }) => {
  const checks = evaluateBaseline(
    summary(...(now as [number, number, number, number])),
    summary(...(before as [number, number, number, number])),
  );
  expect(checks.filter((c) => c.status === 'failed').map((c) => c.id)).toEqual(failed);
});

test('parses a result.json or a bare summary; rejects anything else', () => {
  const load = { latencyMs: { p50: 1, p95: 2, p99: 3 }, errorRate: 0 };
  expect(parseBaseline(JSON.stringify({ schemaVersion: 1, load })).latencyMs.p99).toBe(3);
  expect(parseBaseline(JSON.stringify(load)).latencyMs.p50).toBe(1);
  expect(() => parseBaseline('{"checks": []}')).toThrow(/no load summary/);
  expect(() => parseBaseline('nope')).toThrow(/not JSON/);
});
