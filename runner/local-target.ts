// Starting and stopping the processes a run owns: the target (demo, `start` command, named targets
// with readyPath or readyTcp), its process faults (kill, stop, pause, start again) and the guardian
// that ends them if this process dies. One file because the guardian's protocol, the spawn options
// and the process handle must change together for no target to outlive its run.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startFaultGateway } from '../chaos/fault-gateway.ts';
import type { ProcessExit } from '../chaos/process-faults.ts';
import type { Clock } from '../core/clock.ts';
import { parseDuration } from '../core/duration.ts';
import { EnvironmentError } from '../core/errors.ts';
import type { ResolvedEnvironment } from '../core/load-config.ts';
import { isLoopbackHost } from '../core/loopback.ts';
import type { Timeline } from '../core/timeline.ts';
import { repoPath, repoRoot } from '../core/tools.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { StartedTarget } from './stage.ts';

/** How long a target has to exit after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 5000;

export type TargetLogSource = 'stdout' | 'stderr';

export interface StartTargetOptions {
  env: ResolvedEnvironment;
  /** Folder of the config file: `start.cwd` resolves from here. */
  configDir: string;
  timeline?: Timeline;
  signal?: AbortSignal;
  /** Extra environment for the target process (e.g. `OTEL_EXPORTER_OTLP_ENDPOINT`). */
  extraEnv?: Record<string, string>;
  /** Every line the target prints. Telemetry's log capture hooks in here. */
  onLog?: ((line: string, source: TargetLogSource) => void) | undefined;
}

/** How to spawn a target process and know it is ready. */
export interface TargetProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  url: string;
  readyPath: string;
  readyTimeoutMs: number;
  /** Ready when this `host:port` accepts a TCP connection (a process without http), instead of `url` + `readyPath`. */
  readyTcp?: string;
}

/**
 * A named target that is a process without http (`targets.NAME: { start, readyTcp }`, a database):
 * `{port}` in its command is the port of `readyTcp`, and it is ready when that port accepts a connection.
 */
export function buildProcessTargetSpec(
  name: string,
  start: NonNullable<ResolvedEnvironment['start']>,
  readyTcp: string,
  configDir: string,
): TargetProcessSpec {
  const port = readyTcp.slice(readyTcp.lastIndexOf(':') + 1);
  const [command, ...args] = start.command.map((part) => part.replaceAll('{port}', port));
  return {
    name,
    command: command!,
    args,
    cwd: resolve(configDir, start.cwd ?? '.'),
    env: { ...process.env, ...start.env, PORT: port },
    url: `tcp://${readyTcp}`,
    readyPath: '',
    readyTimeoutMs: parseDuration(start.readyTimeout) ?? 20_000,
    readyTcp,
  };
}

async function isTcpReady(address: string): Promise<boolean> {
  const at = address.lastIndexOf(':');
  return new Promise((done) => {
    const socket = connect({
      host: address.slice(0, at),
      port: Number(address.slice(at + 1)),
      timeout: 2000,
    });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}

/**
 * The target's readiness path (DESIGN.md, Targets): the environment's `readyPath`, else
 * `start.readyPath` (default `/health/ready`) for a target opsproof starts, `/health/ready` for the
 * demo, and `/` for a target that already runs.
 */
export function resolveReadyPath(env: Pick<ResolvedEnvironment, 'readyPath' | 'start' | 'demo'>): string {
  return env.readyPath ?? env.start?.readyPath ?? (env.demo ? '/health/ready' : '/');
}

/** A free TCP port on 127.0.0.1 (the OS picks; we release it for the child to take). */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * The target of a run: the demo service when `env.demo`, the `env.start` command when given,
 * otherwise nothing (the run hits `env.target` as it is).
 */
export async function startLocalTarget(options: StartTargetOptions): Promise<StartedTarget | undefined> {
  const spec = await buildTargetSpec(options.env, options.configDir);
  if (!spec) return undefined;
  return startTargetProcess({ ...spec, env: { ...spec.env, ...options.extraEnv } }, options);
}

async function buildTargetSpec(
  env: ResolvedEnvironment,
  configDir: string,
): Promise<TargetProcessSpec | undefined> {
  const configured = new URL(env.target);
  if (env.demo) {
    const server = repoPath('demo', 'server.ts');
    if (!existsSync(server)) {
      throw new EnvironmentError('process', `the demo service (${server}) is missing from this checkout`);
    }
    const port =
      configured.port === '0' || configured.port === '' ? await findFreePort() : Number(configured.port);
    return {
      name: 'demo',
      command: process.execPath,
      args: ['--import', 'tsx', server, '--port', String(port)],
      cwd: repoRoot,
      env: { ...process.env, PORT: String(port) },
      url: `http://127.0.0.1:${port}`,
      readyPath: resolveReadyPath(env),
      readyTimeoutMs: 20_000,
    };
  }
  if (env.start) {
    let port = configured.port;
    if (port === '0') port = String(await findFreePort());
    const url = new URL(configured.href);
    url.port = port;
    const [command, ...args] = env.start.command.map((part) => part.replaceAll('{port}', port));
    return {
      name: command!,
      command: command!,
      args,
      cwd: resolve(configDir, env.start.cwd ?? '.'),
      env: { ...process.env, ...env.start.env, PORT: port },
      url: url.href.replace(/\/$/, ''),
      readyPath: resolveReadyPath(env),
      readyTimeoutMs: parseDuration(env.start.readyTimeout) ?? 20_000,
    };
  }
  return undefined;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      done(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      done(true);
    };
    child.once('exit', onExit);
  });
}

async function isReady(url: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const timeout = AbortSignal.timeout(2000);
    const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}

/** Spawns a target process, waits for its ready path to answer 2xx, and exposes process faults. */
export async function startTargetProcess(
  spec: TargetProcessSpec,
  options: Pick<StartTargetOptions, 'timeline' | 'signal' | 'onLog'> = {},
): Promise<StartedTarget> {
  let child!: ChildProcess;
  let paused = false;
  let stopping = false;
  const stderrTail: string[] = [];

  const guardian = startTargetGuardian();
  const signalTarget = (proc: ChildProcess, signal: NodeJS.Signals): boolean =>
    signalProcessGroup(proc, signal);

  const spawnChild = () => {
    // Its own process group: signals reach the target's children too (`npm start` → sh → node), and
    // the guardian can clean up the whole group.
    const proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      // The guardian also finds a target by this mark: one spawned just before the controller died
      // was never announced to it.
      env: { ...spec.env, [GUARDIAN_MARK_ENV]: guardian.mark },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    proc.on('error', () => {});
    if (proc.pid !== undefined) guardian.watch(proc.pid);
    for (const source of ['stdout', 'stderr'] as const) {
      const stream = proc[source];
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (source === 'stderr') {
          stderrTail.push(line);
          if (stderrTail.length > 20) stderrTail.shift();
        }
        options.onLog?.(line, source);
      });
    }
    proc.once('exit', (code, signal) => {
      if (proc.pid !== undefined) guardian.forget(proc.pid);
      options.timeline?.emit({ type: 'target.exit', name: spec.name, pid: proc.pid, code, signal });
    });
    return proc;
  };

  const waitUntilReady = async (proc: ChildProcess, signal = options.signal) => {
    const readyUrl = spec.readyTcp ?? spec.url + spec.readyPath;
    const deadline = performance.now() + spec.readyTimeoutMs;
    let spawnError: Error | undefined;
    proc.once('error', (error) => {
      spawnError = error;
    });
    while (performance.now() < deadline) {
      if (signal?.aborted) throw signal.reason;
      if (spawnError) {
        throw new EnvironmentError('process', `could not start ${spec.name}: ${spawnError.message}`);
      }
      if (proc.exitCode !== null || proc.signalCode !== null) {
        const tail = stderrTail.length ? `; last output: ${stderrTail.slice(-3).join(' | ')}` : '';
        throw new EnvironmentError(
          'process',
          `${spec.name} exited (${proc.exitCode ?? proc.signalCode}) before ${readyUrl} answered${tail}`,
        );
      }
      if (spec.readyTcp ? await isTcpReady(spec.readyTcp) : await isReady(readyUrl, signal)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    signalTarget(proc, 'SIGKILL');
    throw new EnvironmentError(
      'target-unreachable',
      `${spec.name} did not become ready: ${readyUrl} ${spec.readyTcp ? 'accepted no connection' : 'gave no 2xx'} within ${spec.readyTimeoutMs} ms`,
    );
  };

  const start = async () => {
    child = spawnChild();
    try {
      await waitUntilReady(child);
    } catch (error) {
      signalTarget(child, 'SIGKILL');
      throw error;
    }
    options.timeline?.emit({ type: 'target.start', name: spec.name, pid: child.pid, url: spec.url });
  };

  const setPaused = (value: boolean) => {
    paused = value;
    if (child.pid !== undefined) guardian.paused(child.pid, value);
  };

  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessExit> => {
    if (paused) {
      signalTarget(child, 'SIGCONT');
      setPaused(false);
    }
    signalTarget(child, signal);
    if (!(await waitForExit(child, KILL_GRACE_MS))) {
      signalTarget(child, 'SIGKILL');
      await waitForExit(child, KILL_GRACE_MS);
    }
    return { pid: child.pid, code: child.exitCode, signal: child.signalCode };
  };

  const isRunning = () => child.exitCode === null && child.signalCode === null;

  /** Waits until the process is ready; false (process left as it is) when `signal` aborted first. */
  const readyUnlessAborted = async (signal: AbortSignal | undefined): Promise<boolean> => {
    try {
      await waitUntilReady(child, signal);
      return true;
    } catch (error) {
      if (signal?.aborted) return false;
      signalTarget(child, 'SIGKILL');
      throw error;
    }
  };

  try {
    // No target before its guardian listens: a guardian that starts after the controller died
    // never reads what it was told, so a target spawned before then would be orphaned.
    await guardian.ready;
    await start();
  } catch (error) {
    const spawned = child as ChildProcess | undefined;
    if (spawned) await waitForExit(spawned, 5000);
    guardian.exit();
    throw error;
  }

  return {
    url: spec.url,
    directUrl: spec.url,
    get pid() {
      return child.pid;
    },
    process: {
      kill,
      async restart() {
        if (isRunning()) await kill('SIGTERM');
        await start();
      },
      async start(signal) {
        if (stopping) throw new EnvironmentError('process', `${spec.name} is being stopped with the run`);
        if (isRunning()) return readyUnlessAborted(signal);
        child = spawnChild();
        const ready = await readyUnlessAborted(signal);
        if (ready)
          options.timeline?.emit({ type: 'target.start', name: spec.name, pid: child.pid, url: spec.url });
        return ready;
      },
      waitUntilReady: (signal) => readyUnlessAborted(signal),
      pause() {
        if (!paused && signalTarget(child, 'SIGSTOP')) setPaused(true);
      },
      resume() {
        if (paused) {
          signalTarget(child, 'SIGCONT');
          setPaused(false);
        }
      },
      get running() {
        return !stopping && child.exitCode === null && child.signalCode === null && !paused;
      },
    },
    async stop() {
      stopping = true;
      try {
        if (child.exitCode === null && child.signalCode === null) await kill('SIGTERM');
      } finally {
        guardian.exit();
      }
    },
  };
}

/**
 * Sends a signal to a target's process group (it is spawned as the group's leader), falling back
 * to the process alone. False when neither exists any more.
 */
function signalProcessGroup(proc: ChildProcess, signal: NodeJS.Signals): boolean {
  if (proc.pid === undefined) return false;
  if (process.platform !== 'win32') {
    try {
      process.kill(-proc.pid, signal);
      return true;
    } catch {
      // Not a group leader (or gone): signal the process itself.
    }
  }
  return proc.kill(signal);
}

const GUARDIAN_PATH = fileURLToPath(new URL('./target-guardian.js', import.meta.url));
const GUARDIAN_READY_TIMEOUT_MS = 5000;
const GUARDIAN_MARK_ENV = 'OPSPROOF_GUARDIAN_MARK';

/** The controller's side of `target-guardian.js`: what it must clean up should this process die. */
export interface TargetGuardian {
  readonly pid: number | undefined;
  /** Set in every target's environment (`OPSPROOF_GUARDIAN_MARK`): the guardian ends what carries it. */
  readonly mark: string;
  /**
   * Resolves once the guardian listens (its `ready`), or after 5 s, or at once when it could not
   * start: the run goes on without a guarantee rather than not at all.
   */
  readonly ready: Promise<void>;
  watch(pid: number): void;
  paused(pid: number, paused: boolean): void;
  forget(pid: number): void;
  /** The run stopped its targets: the guardian cleans up anything left and exits. */
  exit(): void;
}

/**
 * Starts the guardian of one run's targets: a plain-JS process in its own process group, holding an
 * IPC channel to this one. When the channel disconnects — this process died, even by SIGKILL — it
 * resumes and terminates every target it was told about (SIGKILL after 3 s) and exits. Its handles
 * are unref'd: it never keeps the controller alive.
 */
export function startTargetGuardian(): TargetGuardian {
  let guardian: ChildProcess | undefined;
  const mark = randomUUID();
  try {
    guardian = spawn(process.execPath, [GUARDIAN_PATH, mark], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      detached: process.platform !== 'win32',
    });
    guardian.on('error', () => {});
    guardian.unref();
    guardian.channel?.unref();
  } catch {
    guardian = undefined;
  }
  const ready = new Promise<void>((resolve) => {
    if (!guardian) return resolve();
    // Ref'd on purpose: the wait keeps this process alive, at most this long.
    const timer = setTimeout(resolve, GUARDIAN_READY_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    guardian.on('message', (message: { type?: unknown } | null) => {
      if (message?.type === 'ready') done();
    });
    guardian.once('exit', done);
    guardian.once('error', done);
  });
  const send = (message: object) => {
    if (!guardian?.connected) return;
    try {
      guardian.send(message, (error) => {
        // The guardian is gone (it exited after `exit`); nothing left to tell it.
        void error;
      });
    } catch {
      // Channel closed in the meantime.
    }
  };
  return {
    get pid() {
      return guardian?.pid;
    },
    mark,
    ready,
    watch: (pid) => send({ type: 'watch', pid }),
    paused: (pid, paused) => send({ type: 'paused', pid, paused }),
    forget: (pid) => send({ type: 'forget', pid }),
    exit() {
      send({ type: 'exit' });
      if (guardian?.connected) guardian.disconnect();
    },
  };
}

/**
 * Whether the fault gateway stands in front of a target opsproof did not start: one on loopback, http
 * or https, like every upstream the gateway accepts by default. A remote service is not fronted: a
 * browser canary would meet it as `http://127.0.0.1:<port>` (other origin, cookies, redirects).
 */
export function canFrontOutsideTarget(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && isLoopbackHost(parsed.hostname);
  } catch {
    return false;
  }
}

/**
 * A target opsproof did not start (the environment's `target` URL, on loopback) as a
 * {@link StartedTarget} with the fault gateway in front of it: canaries, load and faults go through
 * the gateway and feed the request metrics as for a started target. No process faults; stopping it
 * closes the gateway only.
 */
export async function frontOutsideTarget(
  url: string,
  options: { telemetry: Telemetry; apiName: string; clock?: Clock },
): Promise<StartedTarget> {
  const direct = url.replace(/\/$/, '');
  return withFaultGateway({ url: direct, directUrl: direct, stop: async () => {} }, options);
}

/**
 * Puts the local fault gateway in front of a started target: clients (canaries, load) use the
 * gateway's URL, so every request is recorded as API Gateway-shaped metrics in the run's telemetry and
 * chaos experiments inject faults through its control API. Stopping the result closes the gateway
 * (clearing every fault) before the target.
 */
export async function withFaultGateway(
  target: StartedTarget,
  options: { telemetry: Telemetry; apiName: string; clock?: Clock },
): Promise<StartedTarget> {
  const gateway = await startFaultGateway({
    upstream: target.directUrl,
    telemetry: options.telemetry,
    apiName: options.apiName,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    url: gateway.url.replace(/\/$/, ''),
    directUrl: target.directUrl,
    controlUrl: gateway.controlUrl,
    get pid() {
      return target.pid;
    },
    ...(target.process ? { process: target.process } : {}),
    async stop() {
      try {
        await gateway.close();
      } finally {
        await target.stop();
      }
    },
  };
}
