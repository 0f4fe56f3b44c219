/**
 * Load-engine truth on slow targets (issue 16; `npm run bench -- load-truth`, or
 * `npx tsx bench/load-truth.bench.ts [--duration S]`): the open engine with default settings and
 * k6's constant-arrival-rate (preAllocatedVUs = 1.2 × rate × the slowest answer, + 20) against the
 * same targets, each in a child process that records what it did. Every figure is printed as a ratio
 * to the truth computed from that record: the server's own handling times (fixed servers), or the
 * distribution its stalls imply (test-support/test-servers.ts, `blockServerLatencies`).
 *
 * Flags: --duration S (each run, default 10) --k6 0 (the open engine only)
 */

import type { LoadSummary } from '../core/run-result.ts';
import { loadProfileSchema } from '../core/schema.ts';
import { runK6Engine } from '../load/k6-engine.ts';
import { runOpenEngine } from '../load/open-engine.ts';
import {
  blockServerLatencies,
  percentileOf,
  type RecordingBehaviour,
  type ServerRecord,
  startRecordingServer,
} from '../test-support/test-servers.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const durationS = flag('duration', 10);
const engines = flag('k6', 1) ? (['open', 'k6'] as const) : (['open'] as const);

const targets: { name: string; server: RecordingBehaviour; rate: number; slowestMs: number }[] = [
  { name: '1.5 s fixed, 100 req/s', server: { kind: 'fixed', ms: 1500 }, rate: 100, slowestMs: 1500 },
  { name: '300 ms fixed, 1 000 req/s', server: { kind: 'fixed', ms: 300 }, rate: 1000, slowestMs: 300 },
  { name: '100 ms fixed, 200 req/s', server: { kind: 'fixed', ms: 100 }, rate: 200, slowestMs: 100 },
  {
    name: '20 ms, event loop stalls 200 ms each 1 s, 500 req/s',
    server: { kind: 'block', ms: 20, stallMs: 200, periodMs: 1000 },
    rate: 500,
    slowestMs: 220,
  },
];

function truthOf(behaviour: RecordingBehaviour, record: ServerRecord): number[] {
  if (behaviour.kind === 'fixed') return record.handledMs;
  return blockServerLatencies({
    serviceMs: percentileOf(record.handledMs, 50),
    stallMs: record.stallsMs.reduce((a, b) => a + b, 0) / record.stallsMs.length,
    periodMs: behaviour.periodMs,
  });
}

const rows: string[][] = [];
for (const target of targets) {
  for (const engine of engines) {
    const server = await startRecordingServer(target.server);
    let summary: LoadSummary;
    let record: ServerRecord;
    try {
      const profile = loadProfileSchema.parse({
        rate: target.rate,
        duration: `${durationS}s`,
        // k6 only: its preAllocatedVUs. The open engine runs with default settings.
        ...(engine === 'k6'
          ? { connections: Math.ceil((1.2 * target.rate * target.slowestMs) / 1000) + 20 }
          : {}),
      });
      summary =
        engine === 'open'
          ? await runOpenEngine(profile, { target: server.url })
          : await runK6Engine(profile, { target: server.url });
    } finally {
      record = await server.close();
    }
    const truth = truthOf(target.server, record);
    const t50 = percentileOf(truth, 50);
    const t99 = percentileOf(truth, 99);
    const ratio = (v: number, t: number) => `${v.toFixed(1)} ms (${(v / t).toFixed(3)}×)`;
    const lag = summary.sendLagMs;
    rows.push([
      target.name,
      engine,
      `${t50.toFixed(1)} / ${t99.toFixed(1)} ms`,
      ratio(summary.latencyMs.p50, t50),
      ratio(summary.latencyMs.p99, t99),
      `${summary.requests} / ${summary.dropped}`,
      lag ? `${lag.p50} / ${lag.p99} / ${lag.max} ms` : '–',
    ]);
    console.error(`${target.name}, ${engine}: done`);
  }
}

const header = [
  'target',
  'engine',
  'truth p50 / p99',
  'p50 (÷ truth)',
  'p99 (÷ truth)',
  'requests / dropped',
  'send lag p50 / p99 / max',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(
  `\n## Truth on slow targets, ${durationS}s each, no warm-up (goal: p50 and p99 within 5 % of the truth)\n`,
);
console.log(
  [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'),
);
