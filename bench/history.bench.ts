// `npm run bench -- history`: what the run history costs. Records 500 runs (40 checks, 2 canaries, a
// load with one scenario each) into a fresh database and prints the time to open it, to record one
// run (median, p99), to list every run, to read what the trend page needs, and the bytes per run.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildRunRecord } from '../history/build-run-record.ts';
import { openHistoryStore } from '../history/history-store.ts';
import { buildSampleRun } from '../test-support/sample-run.ts';

const RUNS = 500;
const dir = mkdtempSync(join(tmpdir(), 'opsproof-history-bench-'));
const file = join(dir, 'history.db');
try {
  const opened = performance.now();
  const store = await openHistoryStore(file);
  const openMs = performance.now() - opened;
  const checks = Array.from({ length: 40 }, (_, n) => ({
    id: `check-${n}`,
    status: 'passed' as const,
    message: 'x'.repeat(80),
  }));
  const recordMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = buildSampleRun({
      runId: `r${i}`,
      minute: i,
      checks,
      canaries: [{ name: 'a' }, { name: 'b' }],
    });
    const started = performance.now();
    await store.record(buildRunRecord(run));
    recordMs.push(performance.now() - started);
  }
  const listed = performance.now();
  const runs = await store.listRuns();
  const listMs = performance.now() - listed;
  const queried = performance.now();
  const ids = runs.map((r) => r.runId);
  await Promise.all([
    store.loadFigures(ids),
    store.loadChecks(ids),
    store.loadCanaries(ids),
    store.loadDrills(),
  ]);
  const trendMs = performance.now() - queried;
  store.close();
  recordMs.sort((a, b) => a - b);
  const at = (q: number) =>
    (recordMs[Math.min(recordMs.length - 1, Math.floor(q * recordMs.length))] ?? 0).toFixed(2);
  process.stdout.write(
    `${[
      `open (create + migrate): ${openMs.toFixed(1)} ms`,
      `record one run: median ${at(0.5)} ms, p99 ${at(0.99)} ms (${RUNS} runs, 40 checks each)`,
      `list ${runs.length} runs: ${listMs.toFixed(1)} ms`,
      `trend queries over ${runs.length} runs: ${trendMs.toFixed(1)} ms`,
      `database: ${Math.round(statSync(file).size / RUNS)} bytes per run`,
    ].join('\n')}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
