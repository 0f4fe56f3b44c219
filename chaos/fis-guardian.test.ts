import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FisClient, GetExperimentCommand, ListExperimentsCommand } from '@aws-sdk/client-fis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireTool } from '../core/tools.ts';
import { type MotoServer, startMotoServer } from '../telemetry/aws/start-moto-server.ts';
import { EXPERIMENT_TAG } from './build-fis-template.ts';

// An FIS experiment never outlives its controller: a real controller process starts a real
// experiment on moto (through runFisExperiment, or the guardian's protocol directly) and is killed
// with SIGKILL, which it cannot handle. The guardian must stop the experiment; told `done`, it must
// exit and leave the experiment alone; and it must never keep a controller that finished alive.

const fixture = fileURLToPath(new URL('./fixtures/fis-guardian-controller.ts', import.meta.url));
const moto = requireTool('moto_server');
const region = 'eu-west-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'guardian-secret-7f3a' };
let motoServer: MotoServer | undefined;
let fis: FisClient;
const dirs: string[] = [];
/** Every process a test started, killed at the end whatever happened (a failing test must not leak). */
const started: number[] = [];

beforeAll(async () => {
  if (moto.skip) return;
  motoServer = await startMotoServer(moto.path!);
  fis = new FisClient({ region, endpoint: motoServer.endpoint, credentials });
}, 30_000);
afterAll(async () => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
  fis?.destroy();
  await motoServer?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(predicate: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await sleep(50);
  }
  return predicate();
}

/** Gone, or a zombie waiting to be reaped: either way no longer running. */
function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** fis-guardian.js processes carrying this test's mark in their (inherited) environment. */
function guardiansMarked(mark: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('fis-guardian.js') &&
          readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`OPSPROOF_GUARDIAN_TEST=${mark}`)
        );
      } catch {
        return false;
      }
    });
}

/** The experiments tagged with this experiment name (ListExperiments does not move moto's states). */
async function experimentsOf(name: string) {
  const listed = await fis.send(new ListExperimentsCommand({}));
  return (listed.experiments ?? []).filter((e) => e.tags?.[EXPERIMENT_TAG] === name);
}

type Mode = 'engine' | 'engine-explicit' | 'engine-complete' | 'armed' | 'done';

function startController(mode: Mode) {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-fis-guardian-'));
  dirs.push(dir);
  const name = `guard-${mode}-${Math.random().toString(36).slice(2, 8)}`;
  const logFile = join(dir, 'fis-guardian.log');
  const mark = name;
  const env: NodeJS.ProcessEnv = { ...process.env, OPSPROOF_GUARDIAN_TEST: mark };
  for (const key of Object.keys(env)) if (key.startsWith('AWS_')) delete env[key];
  if (mode === 'engine' || mode === 'engine-complete') {
    // Endpoint and credentials only from the environment: the guardian inherits them.
    Object.assign(env, {
      AWS_ENDPOINT_URL: motoServer!.endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: region,
    });
  }
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fixture, mode, name, motoServer!.endpoint, logFile],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  started.push(child.pid!);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return { child, exited, name, logFile, mark, output: () => output };
}

describe.skipIf(moto.skip || process.platform !== 'linux')('FIS guardian against moto', () => {
  test.each([
    { mode: 'engine' as const, what: 'runFisExperiment, endpoint and credentials from the environment' },
    { mode: 'engine-explicit' as const, what: 'runFisExperiment, a client with an explicit endpoint' },
    { mode: 'armed' as const, what: 'killed before the guardian learnt the experiment id' },
  ])(
    'kill -9 of the controller: the guardian stops the running experiment ($what)',
    async ({ mode }) => {
      const run = startController(mode);
      expect(
        await until(
          async () => (await experimentsOf(run.name)).length > 0 || run.child.exitCode !== null,
          20_000,
        ),
        run.output(),
      ).toBe(true);
      const [experiment] = await experimentsOf(run.name);
      // Two reads move moto's experiment pending → initiating → running.
      await fis.send(new GetExperimentCommand({ id: experiment!.id! }));
      const running = await fis.send(new GetExperimentCommand({ id: experiment!.id! }));
      expect(running.experiment?.state?.status).toBe('running');
      const guardians = guardiansMarked(run.mark);
      expect(guardians, run.output()).toHaveLength(1);
      started.push(...guardians);
      // Credentials reach it over the channel or its environment, never its argv.
      expect(readFileSync(`/proc/${guardians[0]}/cmdline`, 'utf8')).not.toContain(
        credentials.secretAccessKey,
      );
      expect(run.output()).not.toMatch(/FIS guardian/);

      run.child.kill('SIGKILL');
      expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });

      const stopped = await until(
        async () => ['stopping', 'stopped'].includes((await experimentsOf(run.name))[0]?.state?.status ?? ''),
        10_000,
      );
      expect(stopped, JSON.stringify(await experimentsOf(run.name))).toBe(true);
      // It exits once it has stopped it, and says so in the run directory.
      expect(await until(() => isGone(guardians[0]!), 10_000)).toBe(true);
      const log = readFileSync(run.logFile, 'utf8');
      expect(log).not.toContain(credentials.secretAccessKey);
      const lines = log.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        experiment: run.name,
        experimentId: experiment!.id,
        outcome: 'stopped',
        reason: 'the controller is gone',
      });
    },
    40_000,
  );

  test('told done, the guardian exits and leaves the experiment alone', async () => {
    const run = startController('done');
    expect(await until(() => run.output().includes('done ') || run.child.exitCode !== null, 20_000)).toBe(
      true,
    );
    expect(run.output()).toContain(`done ${run.name}`);
    // Gone before the controller is killed, so nothing can stop the experiment afterwards.
    expect(await until(() => guardiansMarked(run.mark).length === 0, 10_000)).toBe(true);
    run.child.kill('SIGKILL');
    await run.exited;
    const [experiment] = await experimentsOf(run.name);
    expect(experiment?.state?.status).toBe('pending');
    expect(existsSync(run.logFile)).toBe(false);
  }, 40_000);

  test('a finished run ends the guardian and does not keep the controller alive', async () => {
    const run = startController('engine-complete');
    // The fixture returns from its script without process.exit: nothing of the guardian holds it.
    const raced = await Promise.race([run.exited, sleep(30_000).then(() => 'still running' as const)]);
    expect(raced, run.output()).toEqual({ code: 0, signal: null });
    expect(run.output()).toContain('journal completed');
    expect(run.output()).not.toMatch(/FIS guardian/);
    expect(await until(() => guardiansMarked(run.mark).length === 0, 10_000)).toBe(true);
    const [experiment] = await experimentsOf(run.name);
    expect(experiment?.state?.status).toBe('completed');
    expect(existsSync(run.logFile)).toBe(false);
  }, 40_000);
});
