import { expect, test } from 'vitest';
import type { Check, LoadSummary } from '../core/run-result.ts';
import { formatSendLag } from './format-send-lag.ts';

const load = { sendLagMs: { p50: 0.21, p99: 3, max: 8.44 } } as LoadSummary;
const keptUp = (status: Check['status']) => ({ id: 'kpi:generator-kept-up', status }) as Check;

test.each([
  { result: { checks: [] }, expected: undefined },
  { result: { load: {} as LoadSummary, checks: [] }, expected: undefined },
  {
    result: { load, checks: [keptUp('passed')] },
    expected: 'send lag (intended send → on the wire): p50 0.2 ms · p99 3.0 ms · max 8.4 ms',
  },
  {
    result: { load, checks: [keptUp('failed')] },
    expected:
      'send lag (intended send → on the wire): p50 0.2 ms · p99 3.0 ms · max 8.4 ms — the generator fell behind the rate, so the target got a burstier load than asked (latencies still start on the wire)',
  },
  // k6 says where it cannot: it has no send lag, its dropped iterations stand for it.
  {
    result: { load: { engine: 'k6', model: 'open', dropped: 3 } as LoadSummary, checks: [] },
    expected:
      'send lag: not measured by k6, which counts the iterations it could not start when due instead (dropped_iterations: 3)',
  },
  // Nothing is due at a given time in the closed model (k6's constant-vus, autocannon).
  {
    result: { load: { engine: 'k6', model: 'closed', dropped: 0 } as LoadSummary, checks: [] },
    expected: undefined,
  },
  {
    result: { load: { engine: 'autocannon', model: 'closed' } as LoadSummary, checks: [] },
    expected: undefined,
  },
])('formatSendLag %#', ({ result, expected }) => {
  expect(formatSendLag(result)).toBe(expected);
});
