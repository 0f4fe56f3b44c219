/**
 * Soak of the open-model engine (`npx tsx bench/soak.bench.ts [--duration 300] [--rate 5000]`):
 * a run at a fixed arrival rate against a bare loopback server in its own process, reporting RSS at
 * start, middle and end, the number of `load.tick` events (one per second expected) and the requests,
 * errors and dropped arrivals, and RSS every 30 s. Constant memory = no growth after the first minute
 * (V8's young generation grows to its maximum in the first seconds at these allocation rates).
 *
 * Run with `node --expose-gc --import tsx bench/soak.bench.ts …` to also force a full GC every 30 s
 * and report the live heap after it: V8 grows its heap lazily, so RSS alone can drift without a leak.
 */
import { spawn } from 'node:child_process';
import { loadProfileSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { runOpenEngine } from '../load/open-engine.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const durationS = flag('duration', 300);
const rate = flag('rate', 5000);

const server = spawn(
  process.execPath,
  [
    '-e',
    "const s=require('node:http').createServer((q,r)=>r.end('ok')).listen(0,'127.0.0.1',()=>console.log(s.address().port))",
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise<number>((resolve) =>
  server.stdout!.once('data', (d) => resolve(Number(String(d)))),
);
const mb = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
const rss: { at: string; mb: number }[] = [{ at: 'start', mb: mb() }];
const timeline = new Timeline();
let ticks = 0;
timeline.on((r) => {
  if (r.type !== 'load.tick') return;
  ticks++;
  if (Math.floor(r.second) === Math.floor(durationS / 2)) rss.push({ at: 'middle', mb: mb() });
  if (r.second > 0 && r.second % 30 === 0) {
    every30s.push(mb());
    if (gc) {
      gc();
      liveHeap30s.push(Math.round(process.memoryUsage().heapUsed / 1024 / 1024));
    }
  }
});
/** RSS (MB) at seconds 30, 60, 90, … */
const every30s: number[] = [];
/** Heap in use (MB) right after a full GC at the same points, when node runs with --expose-gc. */
const liveHeap30s: number[] = [];
const gc = (globalThis as { gc?: () => void }).gc;
try {
  const summary = await runOpenEngine(
    loadProfileSchema.parse({ rate, duration: `${durationS}s`, timeout: '5s' }),
    {
      target: `http://127.0.0.1:${port}`,
      timeline,
      name: 'soak',
    },
  );
  rss.push({ at: 'end', mb: mb() });
  console.log(
    JSON.stringify({
      durationS,
      rate,
      requests: summary.requests,
      errors: summary.errors,
      dropped: summary.dropped,
      p99Ms: summary.latencyMs.p99,
      ticks,
      expectedTicks: durationS,
      rssMb: Object.fromEntries(rss.map((r) => [r.at, r.mb])),
      rssEvery30sMb: every30s,
      growthAfterFirstMinuteMb: every30s.length >= 2 ? Math.max(...every30s.slice(1)) - every30s[1]! : null,
      ...(gc ? { liveHeapAfterGcEvery30sMb: liveHeap30s } : {}),
    }),
  );
} finally {
  server.kill();
}
