/**
 * Load-engine benchmark (`npm run bench -- load`, or `npx tsx bench/load.bench.ts [flags]`):
 *
 * 1. Throughput: req/s of the open-model engine flat out (closed model, N connections) and of the
 *    autocannon engine, each as a ratio to wrk (/usr/bin/wrk) in the same round against the same
 *    loopback target, a bare HTTP server in its own process; the median over the rounds. Goal ≥ 0.8× wrk.
 * 2. Accuracy: a server answering in exactly 100 ms, 200 req/s for 10 s: p50/p95/p99 within 5 %.
 * 3. Honesty: a server stalling 200 ms once a second (else ~1 ms) at 500 req/s: what our engine,
 *    autocannon and wrk report, against the true p99 derived from the stall pattern (190 ms).
 * 4. Memory: peak RSS of an open-model run at the maximum rate measured in 1, for --rss-duration
 *    seconds (default 300 = the 5 minutes), in a process of its own. Goal < 150 MB.
 *    With --rss-semi-space MB, a second run of the same with `node --max-semi-space-size=MB` (V8's
 *    young generation is 2 × 16 MB by default; the knob users can set with NODE_OPTIONS). With
 *    --rss-v8-defaults 1, a peer run with `node --no-optimize-for-size`: V8's own heap sizing, which
 *    the engine otherwise changes for the run (load/small-heap.ts).
 *
 * Flags: --duration S (throughput runs, default 5) --rounds N (of the throughput runs, default 3)
 *        --accuracy-duration S (default 10; 0 skips 2–3)
 *        --connections N (default 50) --rss-duration S (default 300; 0 skips)
 *        --rss-semi-space MB (default: none) --rss-v8-defaults 1 (default: 0)
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { loadProfileSchema } from '../core/schema.ts';
import { findTool } from '../core/tools.ts';
import { runAutocannonEngine } from '../load/autocannon-engine.ts';
import { runOpenEngine } from '../load/open-engine.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const exec = promisify(execFile);

const durationS = flag('duration', 5);
const accuracyS = flag('accuracy-duration', 10);
const rounds = Math.max(1, flag('rounds', 3));
const connections = flag('connections', 50);
const rssS = flag('rss-duration', 300);
/**
 * The open model's "maximum rate": a share of the closed-model flat-out rate, because an open model
 * at 100 % of capacity has no headroom and its queue (and memory) grows until the in-flight cap.
 */
const RSS_RATE_SHARE = flag('rss-share', 0.7);
const rssSemiSpace = flag('rss-semi-space', 0);
/** 1: a peer run of step 4 with `node --no-optimize-for-size`, which keeps V8's own heap sizing. */
const rssV8Defaults = flag('rss-v8-defaults', 0) > 0;

/** A loopback server in its own process: `fast`, `fixed` (100 ms) or `stall` (200 ms every 1 s). */
const SERVER = `
const http = require('node:http');
const kind = process.argv[1];
const origin = performance.now();
const handler = kind === 'fixed' ? (q, s) => { q.resume(); setTimeout(() => s.end('ok'), 100); }
  : kind === 'stall' ? (q, s) => { q.resume(); const ph = (performance.now() - origin) % 1000;
      if (ph < 200) setTimeout(() => s.end('ok'), 200 - ph); else s.end('ok'); }
  : (q, s) => { q.resume(); s.end('ok'); };
const server = http.createServer({ keepAliveTimeout: 60000 }, handler);
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startServer(kind: 'fast' | 'fixed' | 'stall'): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', SERVER, kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) =>
    child.stdout!.once('data', (d) => resolve(String(d).trim())),
  );
  return { url: `http://127.0.0.1:${port}`, child };
}

async function runWrk(url: string, seconds: number): Promise<{ rps: number; p99: string; raw: string }> {
  const wrk = findTool('wrk');
  if (!wrk) throw new Error('wrk not found: apt-get install wrk');
  const { stdout } = await exec(wrk, ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', `${url}/`]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p99 = /99%\s+(\S+)/.exec(stdout)?.[1] ?? '?';
  return { rps, p99, raw: stdout };
}

const rows: string[][] = [];
const table = (header: string[], body: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
};

console.error(`node ${process.version}, ${connections} connections, throughput runs ${durationS}s`);

// 1. Throughput: rounds of wrk, open engine, autocannon engine, interleaved so that a machine whose
// speed drifts affects each alike; each engine's ratio is taken within its round, and the median
// ratio is the figure.
const fast = await startServer('fast');
let maxRps = 0;
try {
  const closed = loadProfileSchema.parse({
    model: 'closed',
    connections,
    duration: `${durationS}s`,
    warmup: '1s',
  });
  const runs = { wrk: [] as number[], open: [] as number[], autocannon: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    runs.wrk.push((await runWrk(fast.url, durationS)).rps);
    runs.open.push((await runOpenEngine(closed, { target: fast.url })).rps);
    runs.autocannon.push((await runAutocannonEngine(closed, { target: fast.url })).rps);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ratios = (engine: number[]) => engine.map((rps, i) => rps / runs.wrk[i]!);
  maxRps = median(runs.open);
  const row = (name: string, values: number[], ratio: number[] | undefined) => [
    name,
    values.map((v) => v.toFixed(0)).join(' / '),
    ratio ? `${median(ratio).toFixed(2)} (${ratio.map((r) => r.toFixed(2)).join(' / ')})` : '1.00',
  ];
  rows.push(row('wrk -t1', runs.wrk, undefined));
  rows.push(row('open engine (closed model)', runs.open, ratios(runs.open)));
  rows.push(row('autocannon engine', runs.autocannon, ratios(runs.autocannon)));
  console.log(
    `\n## Throughput (fast loopback server, ${connections} connections, ${durationS}s × ${rounds} rounds; goal ≥ 0.80× wrk)\n`,
  );
  console.log(table(['generator', 'req/s per round', 'median ratio to wrk (per round)'], rows));
} finally {
  fast.child.kill();
}

// 2 and 3 (0 skips them).
if (accuracyS > 0) {
  // 2. Accuracy against exactly 100 ms.
  const fixed = await startServer('fixed');
  try {
    const s = await runOpenEngine(loadProfileSchema.parse({ rate: 200, duration: `${accuracyS}s` }), {
      target: fixed.url,
    });
    const err = (v: number) => `${v.toFixed(1)} ms (${(((v - 100) / 100) * 100).toFixed(1)} %)`;
    console.log(`\n## 100 ms server, 200 req/s for ${accuracyS}s (goal: each within 5 % of 100 ms)\n`);
    console.log(
      table(
        ['p50', 'p95', 'p99', 'requests'],
        [[err(s.latencyMs.p50), err(s.latencyMs.p95), err(s.latencyMs.p99), String(s.requests)]],
      ),
    );
  } finally {
    fixed.child.kill();
  }

  // 3. Honesty against a stalling server.
  const stall = await startServer('stall');
  try {
    const ours = await runOpenEngine(loadProfileSchema.parse({ rate: 500, duration: `${accuracyS}s` }), {
      target: stall.url,
    });
    const acRate = await autocannon({ url: stall.url, connections, duration: accuracyS, overallRate: 500 });
    const acFlat = await autocannon({ url: stall.url, connections, duration: accuracyS });
    const wrk = await runWrk(stall.url, accuracyS);
    console.log(
      `\n## Stalling server (200 ms stall once a second, else ~1 ms), ${accuracyS}s; true p99 = 190 ms\n`,
    );
    console.log(
      table(
        ['tool', 'how', 'p50', 'p99', 'p99 error vs 190 ms'],
        [
          [
            'opsproof open engine',
            '500 req/s open model',
            `${ours.latencyMs.p50} ms`,
            `${ours.latencyMs.p99} ms`,
            pct(ours.latencyMs.p99),
          ],
          [
            'autocannon',
            `overallRate 500, ${connections} conns (its CO correction)`,
            `${acRate.latency.p50} ms`,
            `${acRate.latency.p99} ms`,
            pct(acRate.latency.p99),
          ],
          [
            'autocannon',
            `${connections} conns flat out`,
            `${acFlat.latency.p50} ms`,
            `${acFlat.latency.p99} ms`,
            pct(acFlat.latency.p99),
          ],
          ['wrk -t1', `${connections} conns flat out`, '-', wrk.p99, '(closed loop)'],
        ],
      ),
    );
  } finally {
    stall.child.kill();
  }
}

function pct(v: number): string {
  return `${(((v - 190) / 190) * 100).toFixed(1)} %`;
}

// 4. Peak RSS at the maximum rate.
if (rssS > 0) {
  const target = await startServer('fast');
  try {
    const rate = Math.max(Math.floor(maxRps * RSS_RATE_SHARE), 100);
    // Bundled to plain JS and run by node itself, so tsx/esbuild's own ~75 MB is not counted.
    const child = fileURLToPath(
      new URL('../node_modules/.cache/opsproof/load-rss-child.mjs', import.meta.url),
    );
    await build({
      entryPoints: [fileURLToPath(new URL('./load-rss-child.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile: child,
      logLevel: 'error',
    });
    const configurations = [
      [],
      ...(rssSemiSpace > 0 ? [[`--max-semi-space-size=${rssSemiSpace}`]] : []),
      ...(rssV8Defaults ? [['--no-optimize-for-size']] : []),
    ];
    const rows: string[][] = [];
    for (const nodeFlags of configurations) {
      const { stdout } = await exec(
        process.execPath,
        [...nodeFlags, child, target.url, String(rate), String(rssS)],
        { timeout: (rssS + 120) * 1000, maxBuffer: 1 << 20 },
      );
      const r = JSON.parse(stdout.trim().split('\n').at(-1)!);
      rows.push([
        nodeFlags.join(' ') || '(none; the engine sets --optimize-for-size for the run)',
        `${r.maxRssMb.toFixed(1)} MB`,
        `${r.peakRssAtS}`,
        `${r.rssMb.start}/${r.rssMb.middle}/${r.rssMb.end} MB`,
        `${r.heapTotalMb}/${r.heapUsedMb}, ${r.externalMb} MB`,
        String(r.requests),
        String(r.rps),
        `${r.dropped} (${r.secondsDropping} s)`,
        `${r.p99} ms`,
      ]);
    }
    console.log(
      `\n## Peak RSS, open model at ${rate} req/s (${RSS_RATE_SHARE * 100} % of the flat-out rate) for ${rssS}s (goal < 150 MB)\n`,
    );
    console.log(
      table(
        [
          'node flags',
          'peak RSS',
          'RSS peaked at (s)',
          'RSS start/middle/end',
          'peak heap total/used, external',
          'requests',
          'achieved req/s',
          'dropped (seconds with drops)',
          'p99',
        ],
        rows,
      ),
    );
  } finally {
    target.child.kill();
  }
}
