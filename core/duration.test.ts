import { describe, expect, test } from 'vitest';
import { formatDuration, formatIsoDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  test.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['PT5M', 300_000],
    ['PT1M30S', 90_000],
    ['PT0.5S', 500],
    ['P1D', 86_400_000],
    ['1500', 1500],
    [1500, 1500],
  ])('%s → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each(['', 'fast', '5 minutes', '-5s', 'PT', 'P', '5x', 'PT5', Number.NaN, -1])(
    '%s is not a duration',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );
});

test.each([
  [250, '250ms'],
  [850.4, '850ms'],
  [999.6, '1s'],
  [1500, '1.5s'],
  [12_340, '12.3s'],
  [2000, '2s'],
  [59_960, '1m'],
  [90_000, '1m30s'],
  [245_000, '4m5s'],
  [3_600_000, '1h'],
  [3_725_000, '1h2m5s'],
])('formatDuration(%d) = %s', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
});

test.each([250, 1500, 90_000, 245_000, 3_725_000])(
  'formatDuration(%d) reads back as the same duration',
  (ms) => {
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  },
);

test.each([
  [300_000, 'PT5M'],
  [90_000, 'PT1M30S'],
  [0, 'PT0S'],
])('formatIsoDuration(%d) = %s', (ms, text) => {
  expect(formatIsoDuration(ms)).toBe(text);
});
