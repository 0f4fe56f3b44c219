import { describe, expect, test } from 'vitest';
import { formatLimit, formatPercent, holds, parseThreshold } from './threshold.ts';

describe('parseThreshold', () => {
  test.each([
    ['p(95)<300', { kind: 'percentile', p: 95 }, '<', 300],
    ['p(99.9) <= 500', { kind: 'percentile', p: 99.9 }, '<=', 500],
    ['avg<200', { kind: 'avg' }, '<', 200],
    ['rate<0.01', { kind: 'rate' }, '<', 0.01],
    ['rps>100', { kind: 'rps' }, '>', 100],
    ['count>=1', { kind: 'count' }, '>=', 1],
  ])('%s', (input, aggregate, operator, value) => {
    const parsed = parseThreshold(input);
    expect(parsed).toEqual({ ok: true, threshold: expect.objectContaining({ aggregate, operator, value }) });
  });

  test.each(['p95<300', 'p(95)<', 'rate<2', 'p(99)<-5', 'latency<3', '', 'p(101)<3'])(
    '%s is rejected',
    (input) => {
      expect(parseThreshold(input).ok).toBe(false);
    },
  );
});

test.each([
  ['<', 5, 4, true],
  ['<', 5, 5, false],
  ['<=', 5, 5, true],
  ['>', 100, 101, true],
  ['>=', 100, 99, false],
  ['==', 1, 1, true],
  ['!=', 1, 1, false],
] as const)('%s %d holds for %d: %s', (operator, value, measured, expected) => {
  expect(holds({ operator, value }, measured)).toBe(expected);
});

test.each([
  [0.0042, '0.42 %'],
  [0.05, '5 %'],
  [0.001, '0.1 %'],
  [0.01, '1 %'],
  [0, '0 %'],
  [1, '100 %'],
  [0.123456, '12.35 %'],
  [0.00001, '0.001 %'],
  [0.0000004, '0.00004 %'],
  [0.999, '99.9 %'],
])('formatPercent(%s) = %s', (fraction, text) => {
  expect(formatPercent(fraction)).toBe(text);
});

test.each([
  ['rate<=0.05', '≤ 5 %'],
  ['rate<0.01', '< 1 %'],
  ['rate>0.5', '> 50 %'],
  ['rate>=0.001', '≥ 0.1 %'],
  ['rate==0', '= 0 %'],
  ['rate!=0', '≠ 0 %'],
  ['p(99)<=800', '≤ 800'],
])('formatLimit(%s) = %s', (expression, text) => {
  const parsed = parseThreshold(expression);
  if (!parsed.ok) throw new Error(parsed.error);
  expect(formatLimit(parsed.threshold)).toBe(text);
});
