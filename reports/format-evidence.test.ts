import { expect, test } from 'vitest';
import type { AlarmEvidence } from '../core/run-result.ts';
import { formatEvidence } from './format-evidence.ts';

const window = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T00:01:00.000Z' };
const transition = {
  from: 'OK',
  to: 'ALARM',
  at: '2026-01-01T00:00:42.512Z',
  reason: 'Threshold Crossed',
} as const;

test.each<[string, AlarmEvidence, string]>([
  [
    'datapoints and a transition',
    { alarm: 'A', window, datapointCount: 5, datapoints: [], transition },
    '5 datapoints · OK→ALARM at 00:00:42 UTC',
  ],
  ['nothing seen', { alarm: 'A', window, datapointCount: 0, datapoints: [] }, '0 datapoints · no transition'],
  ['one datapoint', { alarm: 'A', window, datapointCount: 1, datapoints: [] }, '1 datapoint · no transition'],
  [
    'a provider that cannot list datapoints',
    { alarm: 'A', window, datapointCount: null, datapoints: [], transition },
    'datapoints unknown · OK→ALARM at 00:00:42 UTC',
  ],
  [
    "a composite's children's datapoints",
    {
      alarm: 'Degraded',
      window,
      datapointCount: 3,
      datapoints: [
        { t: window.from, value: 0, alarm: 'ErrorRate' },
        { t: window.from, value: 26, alarm: 'LatencyP99' },
        { t: window.to, value: 0, alarm: 'ErrorRate' },
      ],
    },
    '3 datapoints of ErrorRate, LatencyP99 · no transition',
  ],
])('%s', (_what, evidence, text) => {
  expect(formatEvidence(evidence)).toBe(text);
});
