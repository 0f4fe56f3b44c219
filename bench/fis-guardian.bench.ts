/**
 * Benchmark: what the FIS guardian (chaos/fis-guardian.js) costs and how fast it acts.
 * - start: spawn → `ready` of `startFisGuardian()` (the engine overlaps it with its template calls),
 *   and the idle guardian's resident memory (VmRSS).
 * - stop, against moto: a controller process (chaos/fixtures/fis-guardian-controller.ts, `engine`
 *   mode: runFisExperiment holding a running experiment) is killed with SIGKILL; time until moto
 *   lists the experiment as `stopping`/`stopped` (goal: a few seconds; the guardian's budget is 30 s).
 * Run: `npx tsx bench/fis-guardian.bench.ts [starts] [stops]` (moto via OPSPROOF_MOTO or `npm run setup`).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FisClient, GetExperimentCommand, ListExperimentsCommand } from '@aws-sdk/client-fis';
import { EXPERIMENT_TAG } from '../chaos/build-fis-template.ts';
import { startFisGuardian } from '../chaos/start-fis-guardian.ts';
import { findTool } from '../core/tools.ts';
import { startMotoServer } from '../telemetry/aws/start-moto-server.ts';

const starts = Number(process.argv[2] ?? 20);
const stops = Number(process.argv[3] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const startMs: number[] = [];
const rss: number[] = [];
for (let i = 0; i < starts; i++) {
  const t0 = performance.now();
  const guardian = await startFisGuardian();
  startMs.push(performance.now() - t0);
  if (guardian.pid !== undefined) rss.push(rssMb(guardian.pid));
  guardian.done();
}
process.stdout.write(
  `fis-guardian start (spawn → ready): median ${median(startMs).toFixed(0)} ms, max ${max(startMs).toFixed(0)} ms over ${starts}; idle RSS median ${median(rss).toFixed(1)} MB\n`,
);

const moto = findTool('moto_server');
if (!moto) {
  process.stdout.write('fis-guardian stop: skipped (moto_server not found)\n');
  process.exit(0);
}
const server = await startMotoServer(moto);
const fis = new FisClient({
  region: 'eu-west-1',
  endpoint: server.endpoint,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});
const fixture = fileURLToPath(new URL('../chaos/fixtures/fis-guardian-controller.ts', import.meta.url));
const experimentsOf = async (name: string) =>
  ((await fis.send(new ListExperimentsCommand({}))).experiments ?? []).filter(
    (e) => e.tags?.[EXPERIMENT_TAG] === name,
  );
const stopMs: number[] = [];
try {
  for (let i = 0; i < stops; i++) {
    const name = `bench-guardian-${i}-${Date.now()}`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fixture, 'engine-explicit', name, server.endpoint, join(tmpdir(), `${name}.log`)],
      { stdio: 'ignore' },
    );
    const exited = new Promise((r) => child.once('exit', r));
    let id: string | undefined;
    for (let wait = 0; wait < 400 && !id; wait++) {
      id = (await experimentsOf(name))[0]?.id;
      if (!id) await sleep(50);
    }
    if (!id) throw new Error(`no experiment for ${name}`);
    // pending → initiating → running, and a moment for the controller to tell the guardian the id.
    await fis.send(new GetExperimentCommand({ id }));
    await fis.send(new GetExperimentCommand({ id }));
    await sleep(200);
    const killedAt = performance.now();
    child.kill('SIGKILL');
    await exited;
    for (;;) {
      const status = (await experimentsOf(name))[0]?.state?.status;
      if (status === 'stopping' || status === 'stopped') break;
      if (performance.now() - killedAt > 35_000)
        throw new Error(`${name} still ${status} 35 s after kill -9`);
      await sleep(10);
    }
    stopMs.push(performance.now() - killedAt);
  }
  process.stdout.write(
    `fis-guardian stop (kill -9 → moto lists stopping): median ${median(stopMs).toFixed(0)} ms, max ${max(stopMs).toFixed(0)} ms over ${stops}\n`,
  );
} finally {
  fis.destroy();
  await server.close();
}
