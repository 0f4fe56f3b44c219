import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from '../core/run-result.ts';

/**
 * Latency histograms: HDR (hdr-histogram-js), microsecond resolution, 3 significant digits, constant
 * memory however many values are recorded. The WebAssembly build is used once initialised: it records
 * several times faster than the pure-JS one (load/README.md, "Histogram recording").
 *
 * Percentiles of combined runs or workers come from MERGING histograms ({@link mergeHistograms}),
 * never from averaging their percentiles — see load/README.md for why.
 */
export type LatencyHistogram = hdr.Histogram;

/** One hour in microseconds: the largest latency recorded exactly; larger values are clamped. */
export const HIGHEST_TRACKABLE_US = 3_600_000_000;

let wasmReady: Promise<boolean> | undefined;

/** Loads the WebAssembly build once; falls back to the JS build when it cannot be loaded. */
export function initHistograms(): Promise<boolean> {
  wasmReady ??= hdr.initWebAssembly().then(
    () => true,
    () => false,
  );
  return wasmReady;
}

let wasmAvailable = false;
void initHistograms().then((ok) => {
  wasmAvailable = ok;
});

/** A new empty latency histogram (values in microseconds). Call `destroy()` when done with it. */
export function createHistogram(): LatencyHistogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    autoResize: false,
    useWebAssembly: wasmAvailable,
  });
}

/** Records a latency given in milliseconds (fractional allowed) at microsecond resolution. */
export function recordMs(histogram: LatencyHistogram, ms: number): void {
  const us = Math.round(ms * 1000);
  histogram.recordValue(Math.min(Math.max(us, 1), HIGHEST_TRACKABLE_US));
}

const usToMs = (us: number) => Math.round(us) / 1000;

/** The value (ms) at percentile `p` (0..100); 0 for an empty histogram. */
export function percentileMs(histogram: LatencyHistogram, p: number): number {
  if (histogram.totalCount === 0) return 0;
  return usToMs(histogram.getValueAtPercentile(p));
}

/** min/mean/p50/p90/p95/p99/p99.9/max in milliseconds. */
export function summarizeHistogram(histogram: LatencyHistogram): LatencySummary {
  if (histogram.totalCount === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    min: usToMs(histogram.minNonZeroValue),
    mean: Math.round(histogram.mean) / 1000,
    p50: percentileMs(histogram, 50),
    p90: percentileMs(histogram, 90),
    p95: percentileMs(histogram, 95),
    p99: percentileMs(histogram, 99),
    p999: percentileMs(histogram, 99.9),
    // HDR's own p100: the top of the largest value's bucket, as every percentile above is a bucket
    // top (the exact maxValue could read below p95 of a few close values, and a decoded histogram
    // only knows bucket tops).
    max: percentileMs(histogram, 100),
  };
}

/** Base64 of the compressed HDR encoding (interoperable with HdrHistogram in other languages). */
export function encodeHistogram(histogram: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** The inverse of {@link encodeHistogram}; throws a TypeError naming the problem on bad input. */
export function decodeHistogram(base64: string): LatencyHistogram {
  try {
    return hdr.decodeFromCompressedBase64(base64, 32, wasmAvailable);
  } catch (error) {
    throw new TypeError(`not an encoded HDR histogram: ${(error as Error).message}`);
  }
}

/**
 * One histogram holding every value of `histograms` — the only correct way to get the percentiles of
 * several workers or runs together.
 */
export function mergeHistograms(histograms: readonly LatencyHistogram[]): LatencyHistogram {
  const merged = createHistogram();
  for (const histogram of histograms) merged.add(histogram);
  return merged;
}

/** Merges encoded histograms (e.g. from several result.json files) into one encoded histogram. */
export function mergeEncodedHistograms(encoded: readonly string[]): string {
  const decoded = encoded.map(decodeHistogram);
  const merged = mergeHistograms(decoded);
  const out = encodeHistogram(merged);
  for (const h of [...decoded, merged]) h.destroy();
  return out;
}
