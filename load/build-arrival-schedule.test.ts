import { expect, test } from 'vitest';
import { loadProfileSchema } from '../core/schema.ts';
import { buildArrivalSchedule } from './build-arrival-schedule.ts';

function all(input: Parameters<typeof loadProfileSchema.parse>[0]): number[] {
  const schedule = buildArrivalSchedule(loadProfileSchema.parse(input));
  const times: number[] = [];
  for (let t = schedule.next(); t !== undefined; t = schedule.next()) times.push(t);
  return times;
}

test.each([
  { rate: 10, duration: '1s', warmup: '0s', count: 10, last: 900 },
  { rate: 200, duration: '2s', warmup: '0s', count: 400, last: 1995 },
  { rate: 3, duration: '1s', warmup: '1s', count: 6, last: 5000 / 3 },
  { rate: 0.5, duration: '10s', warmup: '0s', count: 5, last: 8000 },
])('constant $rate req/s for $duration (+$warmup warm-up): $count arrivals', ({ count, last, ...p }) => {
  const times = all(p);
  expect(times).toHaveLength(count);
  expect(times[0]).toBe(0);
  expect(times.at(-1)).toBeCloseTo(last, 6);
});

test('arrival times come from the start of the run, evenly spaced', () => {
  const times = all({ rate: 1000, duration: '1s' });
  expect(times).toHaveLength(1000);
  for (let i = 0; i < times.length; i++) expect(times[i]).toBeCloseTo(i, 6);
});

test.each([
  // 0 → 100 req/s over 2 s: 100 arrivals; then 100 for 1 s: 100 more.
  {
    stages: [
      { duration: '2s', target: 100 },
      { duration: '1s', target: 100 },
    ],
    count: 200,
    totalMs: 3000,
  },
  // 100 → 0 over 2 s: 100 arrivals.
  { rate: 100, stages: [{ duration: '2s', target: 0 }], count: 100, totalMs: 2000 },
  // 0 → 0: nothing.
  { stages: [{ duration: '1s', target: 0 }], count: 0, totalMs: 1000 },
])('ramping stages: $count arrivals', ({ count, totalMs, ...p }) => {
  const schedule = buildArrivalSchedule(loadProfileSchema.parse(p));
  expect(schedule.totalMs).toBe(totalMs);
  const times = all(p);
  expect(Math.abs(times.length - count)).toBeLessThanOrEqual(1);
  // Monotonic, inside the run.
  for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
  if (times.length) expect(times.at(-1)!).toBeLessThan(totalMs);
});

test('a ramp from 0 to 100 req/s sends a quarter of its requests in the first half', () => {
  const times = all({ stages: [{ duration: '2s', target: 100 }] });
  expect(times.filter((t) => t < 1000)).toHaveLength(25);
});

test('an open model without a rate is a usage error', () => {
  expect(() => buildArrivalSchedule(loadProfileSchema.parse({ duration: '1s' }))).toThrow(/rate above 0/);
});

test.each([
  { profile: { rate: 50, duration: '2s' }, ms: 1500, rate: 50 },
  { profile: { rate: 50, duration: '2s' }, ms: 2500, rate: 0 },
  { profile: { rate: 100, stages: [{ duration: '10s', target: 200 }] }, ms: 5000, rate: 150 },
  {
    profile: {
      stages: [
        { duration: '1s', target: 100 },
        { duration: '1s', target: 100 },
      ],
    },
    ms: 250,
    rate: 25,
  },
  {
    profile: {
      stages: [
        { duration: '1s', target: 100 },
        { duration: '1s', target: 0 },
      ],
    },
    ms: 1500,
    rate: 50,
  },
])('rateAt($ms) = $rate req/s', ({ profile, ms, rate }) => {
  expect(buildArrivalSchedule(loadProfileSchema.parse(profile)).rateAt(ms)).toBeCloseTo(rate, 9);
});
