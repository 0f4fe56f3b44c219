import { expect, test } from 'vitest';
import type { CanaryRunResult } from '../../core/run-result.ts';
import { buildCanaryChecks } from './canary-stage.ts';

const run = (status: 'passed' | 'failed'): CanaryRunResult => ({
  name: 'checkout',
  type: 'api',
  status,
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 120,
  attempts: 1,
  steps: [{ name: 'open', status, durationMs: 120 }],
  ...(status === 'failed' ? { error: 'step "open" failed' } : {}),
});

test.each([
  ['canaries', 'passed', 'canary:checkout', 'canary checkout', '1 step passed in 120 ms'],
  [
    'canaries-after',
    'failed',
    'canary-after:checkout',
    'canary checkout (after chaos)',
    'canary checkout (after chaos) failed: step "open" failed',
  ],
] as const)('the %s stage: id, name and message of a %s run', (stage, status, id, name, message) => {
  expect(buildCanaryChecks([run(status)], stage)).toEqual([
    expect.objectContaining({ id, name, message, status, stage }),
  ]);
});

test('the same canary before and after chaos: ids and names apart', () => {
  const checks = [
    ...buildCanaryChecks([run('passed')], 'canaries'),
    ...buildCanaryChecks([run('passed')], 'canaries-after'),
  ];
  expect(new Set(checks.map((c) => c.id)).size).toBe(2);
  expect(new Set(checks.map((c) => c.name)).size).toBe(2);
});
