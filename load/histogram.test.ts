import { expect, test } from 'vitest';
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  initHistograms,
  mergeEncodedHistograms,
  mergeHistograms,
  percentileMs,
  recordMs,
  summarizeHistogram,
} from './histogram.ts';

await initHistograms();

/** The exact nearest-rank percentile of a list (what a histogram approximates to 3 digits). */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function histogramOf(values: number[]) {
  const h = createHistogram();
  for (const v of values) recordMs(h, v);
  return h;
}

test('records milliseconds at microsecond resolution', () => {
  const h = histogramOf([100, 100.5, 0.25]);
  expect(summarizeHistogram(h).min).toBe(0.25);
  expect(percentileMs(h, 0)).toBeCloseTo(0.25, 3);
  expect(percentileMs(h, 100)).toBeGreaterThanOrEqual(100.5);
  expect(percentileMs(h, 100)).toBeLessThan(100.6);
});

test('an empty histogram summarises to zeros', () => {
  expect(summarizeHistogram(createHistogram())).toEqual({
    min: 0,
    mean: 0,
    p50: 0,
    p90: 0,
    p95: 0,
    p99: 0,
    p999: 0,
    max: 0,
  });
});

test('merging two histograms gives the percentiles of the union, not the average of percentiles', () => {
  // The worked example of load/README.md. Worker A: 1000 requests, 980 at 10 ms and 20 at 1000 ms
  // (p99 = 1000 ms). Worker B: 9000 requests at 20 ms (p99 = 20 ms). Averaging says p99 = 510 ms;
  // of all 10 000 requests only 20 (0.2 %) are slow, so the true p99 is 20 ms.
  const a = [...Array(980).fill(10), ...Array(20).fill(1000)];
  const b = Array(9000).fill(20);
  const union = [...a, ...b];
  const merged = mergeHistograms([histogramOf(a), histogramOf(b)]);
  for (const p of [50, 90, 95, 99, 99.9]) {
    expect(percentileMs(merged, p)).toBeCloseTo(exactPercentile(union, p), 0);
  }
  expect(percentileMs(histogramOf(a), 99)).toBeCloseTo(1000, -1);
  expect(percentileMs(histogramOf(b), 99)).toBeCloseTo(20, 1);
  expect(percentileMs(merged, 99)).toBeCloseTo(20, 1);
  expect(percentileMs(merged, 99.9)).toBeCloseTo(1000, -1);
  expect(merged.totalCount).toBe(10_000);
});

test('encoded histograms round-trip and merge', () => {
  const a = histogramOf([1, 2, 3, 400]);
  const b = histogramOf([5, 6, 700]);
  const roundTrip = decodeHistogram(encodeHistogram(a));
  const { max: _max, ...rest } = summarizeHistogram(a);
  expect(summarizeHistogram(roundTrip)).toMatchObject(rest);
  const merged = decodeHistogram(mergeEncodedHistograms([encodeHistogram(a), encodeHistogram(b)]));
  expect(merged.totalCount).toBe(7);
  expect(percentileMs(merged, 100)).toBeCloseTo(700, -1);
});

test('bad encodings are a TypeError', () => {
  expect(() => decodeHistogram('not base64 at all')).toThrow(TypeError);
});

test.each([[[108.344]], [[99.9, 108.344]], [[1, 2, 3, 400]], [[0.5, 2459.6]]])(
  'no percentile reads above the max (%j ms): both are tops of HDR buckets',
  (values) => {
    const histogram = createHistogram();
    for (const ms of values) recordMs(histogram, ms);
    const summary = summarizeHistogram(histogram);
    for (const p of [summary.p50, summary.p90, summary.p95, summary.p99, summary.p999])
      expect(p).toBeLessThanOrEqual(summary.max);
    // Within HDR's 3 significant digits of the largest value recorded.
    expect(Math.abs(summary.max - Math.max(...values)) / Math.max(...values)).toBeLessThan(0.001);
  },
);
