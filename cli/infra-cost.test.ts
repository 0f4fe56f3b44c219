import { afterEach, expect, test, vi } from 'vitest';
import { UsageError } from '../core/errors.ts';
import type { CostBreakdown } from '../infra/estimate-cost.ts';
import { runInfraCost } from './infra-cost.ts';

const defaults = { drillsPerQuarter: '1', gateRuns: '0', notifications: '50' };

afterEach(() => {
  vi.restoreAllMocks();
});

test('--json prints one breakdown per aws environment of the demo suite', async () => {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  expect(await runInfraCost({ ...defaults, json: true })).toBe(0);
  const breakdowns = JSON.parse(out.join('')) as CostBreakdown[];
  expect(breakdowns.map((b) => b.env)).toEqual(['staging', 'prod']);
  for (const b of breakdowns) {
    expect(b.totalUsd).toBeGreaterThan(0);
    expect(b.lines.find((l) => l.item === 'Synthetics canary runs')?.quantity).toBe(3 * 8760);
  }
});

test.each([
  [{ env: 'qa' }, /unknown environment "qa"/],
  [{ drillsPerQuarter: 'many' }, /--drills-per-quarter expects a number/],
])('%o is a usage error', async (flags, message) => {
  await expect(runInfraCost({ ...defaults, ...flags })).rejects.toThrow(UsageError);
  await expect(runInfraCost({ ...defaults, ...flags })).rejects.toThrow(message);
});
