/**
 * The process of load.bench.ts step 4: runs the open-model engine at a rate for a duration and prints
 * one JSON line — its peak RSS and what it did. It imports the engine and nothing else of the bench
 * (no esbuild, no autocannon), so its memory is the engine's. Bundled to plain JS and run by `node`.
 *
 * Usage: node load-rss-child.mjs URL RATE SECONDS
 */
import { loadProfileSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { runOpenEngine } from '../load/open-engine.ts';

const [url, rate, seconds] = process.argv.slice(2);
const started = performance.now();
// process.memoryUsage() once a second: where the memory goes (V8 heap vs external vs the rest).
const mb = (bytes: number) => Math.round(bytes / 1048576);
const peak = { heapTotalMb: 0, heapUsedMb: 0, externalMb: 0 };
const rssAt: number[] = [];
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peak.heapTotalMb = Math.max(peak.heapTotalMb, mb(m.heapTotal));
  peak.heapUsedMb = Math.max(peak.heapUsedMb, mb(m.heapUsed));
  peak.externalMb = Math.max(peak.externalMb, mb(m.external));
  rssAt.push(mb(m.rss));
}, 1000);
// Seconds in which arrivals were dropped: the generator or the target did not keep up.
const timeline = new Timeline();
let secondsDropping = 0;
timeline.on((record) => {
  if (record.type === 'load.tick' && record.dropped > 0) secondsDropping += 1;
});
const summary = await runOpenEngine(
  loadProfileSchema.parse({ rate: Number(rate), duration: `${seconds}s`, maxInFlight: 1000 }),
  { target: url!, timeline },
);
clearInterval(sampler);
const maxRssMb = process.resourceUsage().maxRSS / 1024;
const rssMb = { start: rssAt[0], middle: rssAt[Math.floor(rssAt.length / 2)], end: rssAt.at(-1) };
process.stdout.write(
  `${JSON.stringify({
    maxRssMb,
    rssMb,
    peakRssAtS: rssAt.indexOf(Math.max(...rssAt)) + 1,
    ...peak,
    requests: summary.requests,
    rps: summary.rps,
    dropped: summary.dropped,
    secondsDropping,
    p99: summary.latencyMs.p99,
    wallS: (performance.now() - started) / 1000,
  })}\n`,
);
process.exit(0);
