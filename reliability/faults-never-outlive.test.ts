import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FisClient, ListExperimentsCommand, ListExperimentTemplatesCommand } from '@aws-sdk/client-fis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requireTool } from '../core/tools.ts';
import { findFreePort } from '../runner/local-target.ts';
import { type MotoServer, startMotoServer } from '../telemetry/aws/start-moto-server.ts';

// Faults never outlive a run: the controller (`opsproof chaos run`'s action) is killed with SIGKILL,
// SIGTERM or SIGINT at a random point of an experiment — before, during or after injection — and
// afterwards nothing it injected is left: no fault on the gateway (the gateway's own TTL after
// kill -9), no running FIS experiment (moto; after kill -9 the FIS guardian stops it), no target left
// killed-and-not-restarted, stopped (SIGSTOP) or orphaned (after kill -9 the target guardian resumes
// and terminates it) — a named database target included — and no command stand-in left undone (after
// kill -9 the undo guardian runs the undo).
// Stratified: every run kills once in each stratum — each kind × signal × window (during start-up,
// or while the fault is on) — at a point drawn at random inside it, so every kind of kill point is
// covered every run and the points themselves vary from run to run. Seeded: OPSPROOF_SEED=<n>
// replays a run.

const bin = fileURLToPath(new URL('../bin/opsproof.js', import.meta.url));
const controller = fileURLToPath(new URL('./fixtures/chaos-controller.ts', import.meta.url));
const pauseController = fileURLToPath(new URL('./fixtures/pause-controller.ts', import.meta.url));
const tinyTarget = fileURLToPath(new URL('./fixtures/tiny-target.cjs', import.meta.url));
const tinyDb = fileURLToPath(new URL('./fixtures/tiny-db.cjs', import.meta.url));

const seed = Number(process.env.OPSPROOF_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`faults-never-outlive: seed ${seed} (replay with OPSPROOF_SEED=${seed})`);

/** mulberry32: a small seeded PRNG, so a failing kill point can be replayed. */
function createRandom(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = createRandom(seed);

type Kind = 'gateway' | 'fis' | 'process' | 'named-process' | 'pause' | 'command';
type KillSignal = 'SIGKILL' | 'SIGTERM' | 'SIGINT';
/** Where the kill point is drawn: anywhere in start-up, or after the fault was seen injected. */
type Window = 'start-up' | 'on';
/** One kill point: its stratum (signal, window) and where in the window it falls, 0 ≤ at < 1. */
interface KillPoint {
  signal: KillSignal;
  window: Window;
  at: number;
}
interface Outcome {
  kind: Kind;
  signal: KillSignal;
  window: Window;
  killAtMs: number;
  phase: string;
  exitCode: number | null;
  leftovers: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Linux process state letter (R, S, T = stopped, Z …), undefined when gone. */
const processState = (pid: number): string | undefined => {
  try {
    return /^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
};
async function until(predicate: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await sleep(50);
  }
  return predicate();
}
function spawnController(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))),
  );
  return { child, exited, output: () => output };
}
/** Kills at `killAtMs` after `armed` resolves (or as soon as the process is gone). */
async function killAt(child: ChildProcess, exited: Promise<unknown>, killAtMs: number, signal: KillSignal) {
  await Promise.race([sleep(killAtMs), exited]);
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

/**
 * 130 after clearing, 0 when the run ended before the signal, or -1 when the signal's default action
 * ended the process during module loading, before the interrupt handlers exist (nothing injected yet:
 * the resource checks prove it).
 */
const gracefulExit = (code: number | null) => code === 130 || code === 0 || code === -1;

const limit = (concurrency: number) => {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= concurrency) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
};

const experimentJson = (actions: object, targets: object) => ({ targets, actions });
const lambdaTargets = {
  Functions: { resourceType: 'aws:lambda:function', resourceTags: { s: 'x' }, selectionMode: 'ALL' },
};

// ---------------------------------------------------------------------------------------------
// Shared fixtures: one upstream, one fault gateway in its own process (`opsproof chaos gateway`).

let upstream: http.Server;
let upstreamUrl = '';
let gatewayProcess: ChildProcess | undefined;
let gateway = { url: '', controlUrl: '' };
const dirs: string[] = [];
const moto = requireTool('moto_server');
let motoServer: MotoServer | undefined;

beforeAll(async () => {
  upstream = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const gw = spawn(process.execPath, [bin, 'chaos', 'gateway', '--upstream', upstreamUrl, '--ttl', '60s'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  gatewayProcess = gw;
  gateway = await new Promise((resolve, reject) => {
    let out = '';
    gw.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as typeof gateway);
    });
    gw.once('exit', (code) => reject(new Error(`chaos gateway exited ${code}`)));
  });
  if (!moto.skip) motoServer = await startMotoServer(moto.path!);
}, 30_000);

afterAll(async () => {
  gatewayProcess?.kill('SIGINT');
  await motoServer?.close();
  await new Promise((r) => upstream?.close(r));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-kill-'));
  dirs.push(dir);
  return dir;
};

// ---------------------------------------------------------------------------------------------
// One run per kind.

type FaultList = { faults: { id: string; experiment?: string }[] };
const gatewayFaults = async (experiment: string) => {
  const listed = (await (await fetch(`${gateway.controlUrl}/faults`)).json()) as FaultList;
  return listed.faults.filter((f) => f.experiment === experiment);
};

/** Local experiment through the separate gateway process: 2 s of errors, gateway TTL 2 s + 5 s. */
async function gatewayRun(i: number, { signal, window, at }: KillPoint): Promise<Outcome> {
  const dir = tempDir();
  const name = `gw-${i}`;
  writeFileSync(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({
      service: 'kill-test',
      environments: { local: { target: upstreamUrl } },
      experiments: {
        [name]: experimentJson(
          {
            errors: {
              actionId: 'aws:lambda:invocation-error',
              parameters: { duration: 'PT2S', invocationPercentage: '100', preventExecution: 'true' },
              targets: { Functions: 'Functions' },
            },
          },
          lambdaTargets,
        ),
      },
    }),
  );
  const run = spawnController([
    controller,
    name,
    join(dir, 'opsproof.config.json'),
    'local',
    join(dir, 'run'),
    gateway.controlUrl,
  ]);
  // Traffic through the gateway while the run lasts: a fault that matches no request fails its
  // experiment (exit 1), which a run that ends on its own would otherwise do. Bounded: one request
  // every 25 ms, at most 800.
  const traffic = (async () => {
    for (let n = 0; n < 800 && run.child.exitCode === null && run.child.signalCode === null; n++) {
      await fetch(gateway.url).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  const early = window === 'start-up';
  const killAtMs = Math.round(at * (early ? 1500 : 2200));
  if (!early)
    await until(async () => (await gatewayFaults(name)).length > 0 || run.child.exitCode !== null, 15_000);
  const injected = (await gatewayFaults(name)).length > 0;
  await killAt(run.child, run.exited, killAtMs, signal);
  const exitCode = await run.exited;
  await traffic;
  const leftovers: string[] = [];
  if (signal === 'SIGKILL') {
    // Nobody clears it: the gateway's TTL (duration + 5 s margin) must.
    if (!(await until(async () => (await gatewayFaults(name)).length === 0, 9_000)))
      leftovers.push(`gateway fault of ${name} still active 9 s after kill -9`);
  } else {
    const left = await gatewayFaults(name);
    if (left.length > 0) leftovers.push(`gateway fault ${left[0]!.id} active after exit ${exitCode}`);
    if (!gracefulExit(exitCode)) leftovers.push(`exit ${exitCode}: ${run.output().slice(-400)}`);
  }
  return {
    kind: 'gateway',
    signal,
    window,
    killAtMs,
    phase: early ? 'start-up' : injected ? 'injected' : 'ended',
    exitCode,
    leftovers,
  };
}

/**
 * Process fault: `aws:ecs:stop-task` kills -9 the started target and restarts it, then a wait. After
 * kill -9 of the controller the target guardian must end every target within 5 s.
 */
async function processRun(i: number, { signal, window, at }: KillPoint): Promise<Outcome> {
  const dir = tempDir();
  const name = `proc-${i}`;
  const pidFile = join(dir, 'pids');
  writeFileSync(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({
      service: 'kill-test',
      environments: {
        local: {
          target: 'http://127.0.0.1:0',
          start: { command: [process.execPath, tinyTarget], env: { PID_FILE: pidFile }, readyTimeout: '10s' },
        },
      },
      experiments: {
        [name]: experimentJson(
          {
            kill: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'Tasks' } },
            hold: { actionId: 'aws:fis:wait', parameters: { duration: 'PT2S' }, startAfter: ['kill'] },
          },
          { Tasks: { resourceType: 'aws:ecs:task', resourceTags: { s: 'x' }, selectionMode: 'ALL' } },
        ),
      },
    }),
  );
  const run = spawnController([
    controller,
    name,
    join(dir, 'opsproof.config.json'),
    'local',
    join(dir, 'run'),
  ]);
  const pids = () =>
    existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : [];
  const early = window === 'start-up';
  const killAtMs = Math.round(at * (early ? 1500 : 2500));
  if (!early) await until(() => pids().length > 0 || run.child.exitCode !== null, 15_000);
  await killAt(run.child, run.exited, killAtMs, signal);
  const exitCode = await run.exited;
  const leftovers: string[] = [];
  const gone = (pid: number) => processState(pid) === undefined || processState(pid) === 'Z';
  if (signal === 'SIGKILL') {
    await until(() => pids().every(gone), 5000);
    // A target spawned just before the kill writes its pid only once node has started: look again.
    await sleep(1500);
    await until(() => pids().every(gone), 5000);
  }
  for (const pid of pids()) {
    const state = processState(pid);
    if (state === 'T') leftovers.push(`target ${pid} left stopped (SIGSTOP)`);
    else if (state !== undefined && state !== 'Z') leftovers.push(`target ${pid} left running after exit`);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (signal !== 'SIGKILL' && !gracefulExit(exitCode))
    leftovers.push(`exit ${exitCode}: ${run.output().slice(-400)}`);
  return {
    kind: 'process',
    signal,
    window,
    killAtMs,
    phase: early ? 'start-up' : 'target up',
    exitCode,
    leftovers,
  };
}

/**
 * Process fault on a named target: the environment starts a web service and a database (`db`,
 * `readyTcp`); `aws:ecs:stop-task` with `localTarget: 'db'` kills -9 the database and starts it
 * again, then a wait. Neither process may outlive the run (after kill -9: the target guardian).
 */
async function namedProcessRun(i: number, { signal, window, at }: KillPoint): Promise<Outcome> {
  const dir = tempDir();
  const name = `db-${i}`;
  const webPids = join(dir, 'web-pids');
  const dbPids = join(dir, 'db-pids');
  const dbPort = await findFreePort();
  writeFileSync(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({
      service: 'kill-test',
      environments: {
        local: {
          targets: {
            web: {
              url: 'http://127.0.0.1:0',
              readyPath: '/health/ready',
              start: {
                command: [process.execPath, tinyTarget],
                env: { PID_FILE: webPids },
                readyTimeout: '10s',
              },
            },
            db: {
              readyTcp: `127.0.0.1:${dbPort}`,
              start: { command: [process.execPath, tinyDb], env: { PID_FILE: dbPids }, readyTimeout: '10s' },
            },
          },
        },
      },
      experiments: {
        [name]: experimentJson(
          {
            kill: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'Tasks' } },
            hold: { actionId: 'aws:fis:wait', parameters: { duration: 'PT2S' }, startAfter: ['kill'] },
          },
          {
            Tasks: {
              resourceType: 'aws:ecs:task',
              resourceTags: { s: 'x' },
              selectionMode: 'ALL',
              localTarget: 'db',
            },
          },
        ),
      },
    }),
  );
  const run = spawnController([
    controller,
    name,
    join(dir, 'opsproof.config.json'),
    'local',
    join(dir, 'run'),
  ]);
  const lines = (file: string) =>
    existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
  const pids = () => [...lines(webPids), ...lines(dbPids)];
  const early = window === 'start-up';
  const killAtMs = Math.round(at * (early ? 1500 : 2500));
  // Not early: from the moment the database was killed and started again (its second pid).
  if (!early) await until(() => lines(dbPids).length >= 2 || run.child.exitCode !== null, 20_000);
  const restarted = lines(dbPids).length >= 2;
  await killAt(run.child, run.exited, killAtMs, signal);
  const exitCode = await run.exited;
  const leftovers: string[] = [];
  const gone = (pid: number) => processState(pid) === undefined || processState(pid) === 'Z';
  if (signal === 'SIGKILL') {
    await until(() => pids().every(gone), 5000);
    // A target spawned just before the kill writes its pid only once node has started: look again.
    await sleep(1500);
    await until(() => pids().every(gone), 5000);
  }
  for (const pid of pids()) {
    const state = processState(pid);
    if (state === 'T') leftovers.push(`target ${pid} left stopped (SIGSTOP)`);
    else if (state !== undefined && state !== 'Z') leftovers.push(`target ${pid} left running after exit`);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (signal !== 'SIGKILL' && !gracefulExit(exitCode))
    leftovers.push(`exit ${exitCode}: ${run.output().slice(-400)}`);
  return {
    kind: 'named-process',
    signal,
    window,
    killAtMs,
    phase: early ? 'start-up' : restarted ? 'injected' : 'target up',
    exitCode,
    leftovers,
  };
}

/**
 * Command stand-in with an undo, through `opsproof chaos run`: an SSM automation (no local meaning)
 * whose `local` stand-in's `run` writes a marker file and whose `undo` removes it, for 3 s. Killed at
 * a random point, the marker must be gone afterwards: undone by the controller on Ctrl-C / SIGTERM,
 * by the undo guardian within 5 s after kill -9.
 */
async function commandRun(i: number, { signal, window, at }: KillPoint): Promise<Outcome> {
  const dir = tempDir();
  const name = `cmd-${i}`;
  const marker = join(dir, 'applied');
  const node = (code: string) => [process.execPath, '-e', code];
  writeFileSync(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({
      service: 'kill-test',
      environments: { local: { target: upstreamUrl } },
      experiments: {
        [name]: experimentJson(
          {
            impair: {
              actionId: 'aws:ssm:start-automation-execution',
              parameters: {
                documentArn: 'arn:aws:ssm:eu-west-1:123456789012:document/Impair',
                maxDuration: 'PT3S',
              },
              local: {
                run: node(`require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'on')`),
                undo: node(`require('node:fs').rmSync(${JSON.stringify(marker)}, { force: true })`),
              },
            },
          },
          {},
        ),
      },
    }),
  );
  const run = spawnController([
    controller,
    name,
    join(dir, 'opsproof.config.json'),
    'local',
    join(dir, 'run'),
  ]);
  const early = window === 'start-up';
  const killAtMs = Math.round(at * (early ? 1000 : 2500));
  if (!early) await until(() => existsSync(marker) || run.child.exitCode !== null, 15_000);
  const applied = existsSync(marker);
  await killAt(run.child, run.exited, killAtMs, signal);
  const exitCode = await run.exited;
  const leftovers: string[] = [];
  await until(() => !existsSync(marker), signal === 'SIGKILL' ? 5000 : 1000);
  if (existsSync(marker)) leftovers.push(`command stand-in left applied (${marker}) after exit ${exitCode}`);
  if (signal !== 'SIGKILL' && !gracefulExit(exitCode))
    leftovers.push(`exit ${exitCode}: ${run.output().slice(-400)}`);
  return {
    kind: 'command',
    signal,
    window,
    killAtMs,
    phase: early ? 'start-up' : applied ? 'injected' : 'ended',
    exitCode,
    leftovers,
  };
}

/**
 * A paused (SIGSTOP) target, its controller interrupted or killed -9: the target must not stay
 * stopped; after kill -9 the guardian resumes it (it handles SIGTERM: a marker file) and ends it.
 */
async function pauseRun({ signal, at }: KillPoint): Promise<Outcome> {
  const markerFile = join(tempDir(), 'sigterm');
  const run = spawnController([pauseController, tinyTarget], { ...process.env, MARKER_FILE: markerFile });
  await until(() => /^\d+$/m.test(run.output()) || run.child.exitCode !== null, 15_000);
  const pid = Number(/^(\d+)$/m.exec(run.output())?.[1]);
  const killAtMs = Math.round(at * 1000);
  const leftovers: string[] = [];
  // SIGSTOP to the group takes effect when the kernel next schedules the target: on a busy machine
  // /proc can still read R for a moment after kill() returned.
  await until(() => processState(pid) === 'T', 2000);
  if (processState(pid) !== 'T') leftovers.push(`target ${pid} was never paused (${processState(pid)})`);
  await killAt(run.child, run.exited, killAtMs, signal);
  const exitCode = await run.exited;
  await until(() => processState(pid) === undefined, signal === 'SIGKILL' ? 5000 : 3000);
  const state = processState(pid);
  if (state === 'T') leftovers.push(`target ${pid} left stopped (SIGSTOP)`);
  else if (state !== undefined && state !== 'Z') leftovers.push(`target ${pid} left running`);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGKILL');
  }
  if (!existsSync(markerFile)) leftovers.push(`target ${pid} was not resumed and sent SIGTERM`);
  if (exitCode !== (signal === 'SIGKILL' ? -1 : 130))
    leftovers.push(`exit ${exitCode}: ${run.output().slice(-400)}`);
  return { kind: 'pause', signal, window: 'on', killAtMs, phase: 'paused', exitCode, leftovers };
}

/**
 * FIS experiment against moto; Ctrl-C / SIGTERM must leave it stopped, never running. After kill -9
 * the FIS guardian (chaos/fis-guardian.js) must stop it within 10 s.
 */
async function fisRun(i: number, { signal, window, at }: KillPoint): Promise<Outcome> {
  const dir = tempDir();
  const name = `fis-${i}`;
  writeFileSync(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({
      service: 'kill-test',
      environments: {
        staging: {
          target: 'https://api.example.com',
          provider: 'aws',
          region: 'eu-west-1',
          aws: { accountId: '123456789012' },
        },
      },
      experiments: {
        [name]: experimentJson(
          {
            delay: {
              actionId: 'aws:lambda:invocation-add-delay',
              parameters: { duration: 'PT5M', startupDelayMilliseconds: '1500' },
              targets: { Functions: 'Functions' },
            },
          },
          {
            Functions: {
              resourceType: 'aws:lambda:function',
              resourceArns: ['arn:aws:lambda:eu-west-1:123456789012:function:api'],
              selectionMode: 'ALL',
            },
          },
        ),
      },
    }),
  );
  const awsEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: motoServer!.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'eu-west-1',
  };
  const fis = new FisClient({
    region: 'eu-west-1',
    endpoint: motoServer!.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const statuses = async () => {
    const templates = await fis.send(new ListExperimentTemplatesCommand({}));
    const ids = new Set(
      (templates.experimentTemplates ?? [])
        .filter((t) => t.tags?.['opsproof:experiment'] === name)
        .map((t) => t.id),
    );
    const experiments = await fis.send(new ListExperimentsCommand({}));
    return (experiments.experiments ?? [])
      .filter((e) => ids.has(e.experimentTemplateId))
      .map((e) => e.state?.status ?? 'unknown');
  };
  const run = spawnController(
    [controller, name, join(dir, 'opsproof.config.json'), 'staging', join(dir, 'run')],
    awsEnv,
  );
  const early = window === 'start-up';
  const killAtMs = Math.round(at * 1500);
  if (!early)
    await until(async () => (await statuses()).includes('running') || run.child.exitCode !== null, 20_000);
  const started = (await statuses()).includes('running');
  await killAt(run.child, run.exited, killAtMs, signal);
  const exitCode = await run.exited;
  const leftovers: string[] = [];
  const running = async () =>
    (await statuses()).filter((s) => s === 'running' || s === 'initiating' || s === 'pending');
  // Nobody is left to stop it after kill -9 but the guardian.
  if (signal === 'SIGKILL') await until(async () => (await running()).length === 0, 10_000);
  const left = await running();
  if (left.length > 0)
    leftovers.push(
      `FIS experiment of ${name} still ${left.join(', ')}${signal === 'SIGKILL' ? ' 10 s after kill -9' : ''}`,
    );
  if (signal !== 'SIGKILL' && !gracefulExit(exitCode))
    leftovers.push(`exit ${exitCode}: ${run.output().slice(-400)}`);
  fis.destroy();
  return {
    kind: 'fis',
    signal,
    window,
    killAtMs,
    phase: early ? 'start-up' : started ? 'running' : 'ended',
    exitCode,
    leftovers,
  };
}

/** The strata of one run: each kind × signal × window it has (a paused target has only `on`). */
function planKillPoints(withFis: boolean): { kind: Kind; point: KillPoint }[] {
  const signals: KillSignal[] = ['SIGKILL', 'SIGTERM', 'SIGINT'];
  const windows: Window[] = ['start-up', 'on'];
  const kinds: Kind[] = [
    'gateway',
    'process',
    'named-process',
    'command',
    'pause',
    ...(withFis ? ['fis' as const] : []),
  ];
  const plan = kinds.flatMap((kind) =>
    signals.flatMap((signal) =>
      (kind === 'pause' ? ['on' as const] : windows).map((window) => ({
        kind,
        point: { signal, window, at: random() },
      })),
    ),
  );
  // kill -9 runs last longest (they wait out TTLs and guardians): started first, they do not trail.
  return [
    ...plan.filter((p) => p.point.signal === 'SIGKILL'),
    ...plan.filter((p) => p.point.signal !== 'SIGKILL'),
  ];
}

const runKind: Record<Kind, (i: number, point: KillPoint) => Promise<Outcome>> = {
  gateway: gatewayRun,
  process: processRun,
  'named-process': namedProcessRun,
  command: commandRun,
  pause: (_i, point) => pauseRun(point),
  fis: fisRun,
};

test('kill -9, SIGTERM and Ctrl-C of the controller at a random point of every stratum leave nothing injected', async () => {
  const signals: KillSignal[] = ['SIGKILL', 'SIGTERM', 'SIGINT'];
  // Every kill point is drawn here, before any run starts, so a seed replays the same points.
  const plan = planKillPoints(motoServer !== undefined);
  const pool = limit(4);
  const outcomes = await Promise.all(plan.map(({ kind, point }, i) => pool(() => runKind[kind](i, point))));
  const leftovers = outcomes.filter((o) => o.leftovers.length > 0);
  const byKind = (kind: Kind) => outcomes.filter((o) => o.kind === kind).length;
  const killedWhileOn = (kind: Kind) =>
    outcomes.filter(
      (o) => o.kind === kind && o.signal === 'SIGKILL' && (o.phase === 'injected' || o.phase === 'running'),
    ).length;
  console.log(
    `faults-never-outlive: seed ${seed}: ${outcomes.length} runs (gateway ${byKind('gateway')}, process ${byKind('process')}, named process ${byKind('named-process')}, pause ${byKind('pause')}, command ${byKind('command')}, fis ${byKind('fis')}), ` +
      `signals ${signals.map((s) => `${s} ${outcomes.filter((o) => o.signal === s).length}`).join(', ')}, ` +
      `phases ${[...new Set(outcomes.map((o) => o.phase))].map((p) => `${p} ${outcomes.filter((o) => o.phase === p).length}`).join(', ')}, ` +
      `kill -9 while on: gateway ${killedWhileOn('gateway')}, named process ${killedWhileOn('named-process')}, command ${killedWhileOn('command')}, fis ${killedWhileOn('fis')}, ` +
      `leftovers ${leftovers.length}`,
  );
  expect(leftovers, JSON.stringify(leftovers, null, 2)).toEqual([]);
  // One run in every stratum: 5 kinds × 3 signals × 2 windows, and the paused target × 3 signals.
  const strata = new Set(outcomes.map((o) => `${o.kind} ${o.signal} ${o.window}`));
  expect([strata.size, outcomes.length]).toEqual(moto.skip ? [27, 27] : [33, 33]);
  // The kill points did land while faults were on, not only before or after.
  expect(outcomes.filter((o) => o.phase === 'injected' || o.phase === 'running').length).toBeGreaterThan(5);
  // 33 runs, 4 at a time, each with its own deadlines (timings: reliability/README.md).
}, 300_000);
