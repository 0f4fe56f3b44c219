/**
 * Benchmark: a three-step browser canary run locally against the demo service, Chromium launch
 * included (what one `opsproof canary run` of a browser canary costs). Median over several runs;
 * goal < 2 s on this machine. Run: `npx tsx bench/canary.bench.ts [runs]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCanaryFile } from '../canaries/load-canaries.ts';
import { runCanaries } from '../canaries/run-canaries.ts';
import { Timeline } from '../core/timeline.ts';
import { startDemoServer } from '../demo/server.ts';

const GOAL_MS = 2000;
const runs = Number(process.argv[2] ?? 7);
const canary = await loadCanaryFile(join(import.meta.dirname, '../demo/canaries/web-form.canary.ts'));
if (!('definition' in canary)) throw new Error(canary.error);

const demo = await startDemoServer({ port: 0, log: () => {} });
const outDir = await mkdtemp(join(tmpdir(), 'opsproof-bench-'));
const samples: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const { canaries } = await runCanaries({
      canaries: [canary],
      baseUrl: demo.url,
      env: 'bench',
      config: { concurrency: 1, retries: 0, timeout: '30s', stepTimeout: '10s' },
      timeline: new Timeline(),
      outDir,
    });
    const ms = performance.now() - started;
    if (canaries[0]?.status !== 'passed') throw new Error(`run ${i + 1} failed: ${canaries[0]?.error}`);
    samples.push(ms);
  }
} finally {
  await demo.close();
  await rm(outDir, { recursive: true, force: true });
}
samples.sort((a, b) => a - b);
const median = samples[Math.floor(samples.length / 2)] ?? Number.NaN;
const line = (label: string, value: string) => console.log(`${label.padEnd(28)} ${value}`);
line('canary', 'web-form (browser, 3 steps)');
line('runs', String(runs));
line(
  'min / median / max (ms)',
  `${samples[0]?.toFixed(0)} / ${median.toFixed(0)} / ${samples.at(-1)?.toFixed(0)}`,
);
line('goal (ms)', String(GOAL_MS));
line('median / goal', `${(median / GOAL_MS).toFixed(2)} ${median < GOAL_MS ? '(met)' : '(NOT met)'}`);
