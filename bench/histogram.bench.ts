/**
 * Benchmark: recording latencies into the load engine's HDR histogram, WebAssembly build against the
 * pure-JS build of hdr-histogram-js (the reason `load/histogram.ts` switches to WebAssembly once it
 * has loaded). Records the same 2 M values (1 µs – 500 ms) into each, three rounds, and prints the
 * time of each and the ratio JS / WebAssembly.
 * Run: `npx tsx bench/histogram.bench.ts [values]`.
 */
import * as hdr from 'hdr-histogram-js';
import { HIGHEST_TRACKABLE_US } from '../load/histogram.ts';

const count = Number(process.argv[2] ?? 2_000_000);
const values = Array.from({ length: count }, (_, i) => 1 + ((i * 7919) % 500_000));

function recordAll(useWebAssembly: boolean): number {
  // The options of load/histogram.ts's createHistogram.
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 32,
    autoResize: false,
    useWebAssembly,
  });
  const started = performance.now();
  for (const value of values) histogram.recordValue(value);
  const ms = performance.now() - started;
  if (histogram.totalCount !== count) throw new Error(`recorded ${histogram.totalCount} of ${count}`);
  histogram.destroy();
  return ms;
}

await hdr.initWebAssembly();
for (let round = 1; round <= 3; round++) {
  const wasm = recordAll(true);
  const js = recordAll(false);
  process.stdout.write(
    `round ${round}: ${count} values — WebAssembly ${wasm.toFixed(0)} ms, JS ${js.toFixed(0)} ms, JS / WebAssembly ${(js / wasm).toFixed(1)}×\n`,
  );
}
