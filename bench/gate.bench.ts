// Wall time of the local gate (`opsproof gate --env local`, everything included) against two peers:
// the demo service's start-up alone (spawn → /health/ready answers), which the gate cannot beat, and
// the sum of the gate's own stage times from its result.json (what the stages need; the rest is
// process start-up, target start/stop, telemetry and reports). Medians of RUNS runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveEnvironment } from '../core/load-config.ts';
import type { RunResult } from '../core/run-result.ts';
import { repoPath } from '../core/tools.ts';
import { validateSuite } from '../core/validate-suite.ts';
import config from '../opsproof.config.ts';
import { startLocalTarget } from '../runner/local-target.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function demoStartup(): Promise<number> {
  const { suite } = validateSuite(config);
  const env = resolveEnvironment(suite!, 'local');
  const started = performance.now();
  const target = await startLocalTarget({ env, configDir: repoPath() });
  const ms = performance.now() - started;
  await target?.stop();
  return ms;
}

async function gate(): Promise<{ ms: number; stagesMs: number; code: number | null }> {
  const out = mkdtempSync(join(tmpdir(), 'opsproof-bench-gate-'));
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(
      process.execPath,
      [repoPath('bin', 'opsproof.js'), 'gate', '--env', 'local', '--out', out],
      {
        cwd: repoPath(),
        stdio: 'ignore',
        env: { ...process.env, CI: 'true' },
      },
    );
    child.on('close', resolve);
  });
  const ms = performance.now() - started;
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult;
  const stagesMs = result.stages.reduce((sum, stage) => sum + stage.durationMs, 0);
  rmSync(out, { recursive: true, force: true });
  return { ms, stagesMs, code };
}

const demo: number[] = [];
const gates: number[] = [];
const stageSums: number[] = [];
const codes: (number | null)[] = [];
for (let i = 0; i < RUNS; i++) {
  demo.push(await demoStartup());
  const run = await gate();
  gates.push(run.ms);
  stageSums.push(run.stagesMs);
  codes.push(run.code);
}

const demoMs = median(demo);
const gateMs = median(gates);
console.log(`demo start-up (spawn → ready), median of ${RUNS}: ${(demoMs / 1000).toFixed(2)} s`);
console.log(
  `local gate (npm start minus setup), median of ${RUNS}: ${(gateMs / 1000).toFixed(2)} s (exit codes ${codes.join(', ')})`,
);
const stagesMs = median(stageSums);
console.log(`sum of the gate's stage times, median of ${RUNS}: ${(stagesMs / 1000).toFixed(2)} s`);
console.log(`gate / demo start-up: ${(gateMs / demoMs).toFixed(1)}x`);
console.log(
  `gate / sum of stage times: ${(gateMs / stagesMs).toFixed(2)}x (the rest is start-up, target and reports)`,
);
