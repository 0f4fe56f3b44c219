import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startFaultGateway } from '../chaos/fault-gateway.ts';
import type { Clock } from '../core/clock.ts';
import { parseDuration } from '../core/duration.ts';
import { EnvironmentError } from '../core/errors.ts';
import type { ResolvedEnvironment } from '../core/load-config.ts';
import type { Timeline } from '../core/timeline.ts';
import { repoPath, repoRoot } from '../core/tools.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { StartedTarget } from './stage.ts';

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
      readyPath: '/health/ready',
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
      readyPath: env.start.readyPath,
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
  let child: ChildProcess;
  let paused = false;
  let stopping = false;
  const stderrTail: string[] = [];

  const spawnChild = () => {
    const proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.on('error', () => {});
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
      options.timeline?.emit({ type: 'target.exit', name: spec.name, pid: proc.pid, code, signal });
    });
    return proc;
  };

  const waitUntilReady = async (proc: ChildProcess) => {
    const readyUrl = spec.url + spec.readyPath;
    const deadline = performance.now() + spec.readyTimeoutMs;
    let spawnError: Error | undefined;
    proc.once('error', (error) => {
      spawnError = error;
    });
    while (performance.now() < deadline) {
      if (options.signal?.aborted) throw options.signal.reason;
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
      if (await isReady(readyUrl, options.signal)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill('SIGKILL');
    throw new EnvironmentError(
      'target-unreachable',
      `${spec.name} did not become ready: ${readyUrl} gave no 2xx within ${spec.readyTimeoutMs} ms`,
    );
  };

  const start = async () => {
    child = spawnChild();
    try {
      await waitUntilReady(child);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    options.timeline?.emit({ type: 'target.start', name: spec.name, pid: child.pid, url: spec.url });
  };

  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (paused) {
      child.kill('SIGCONT');
      paused = false;
    }
    child.kill(signal);
    if (!(await waitForExit(child, 5000))) {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    }
  };

  await start();

  return {
    url: spec.url,
    directUrl: spec.url,
    get pid() {
      return child.pid;
    },
    process: {
      kill,
      async restart() {
        if (child.exitCode === null && child.signalCode === null) await kill('SIGTERM');
        await start();
      },
      pause() {
        if (!paused && child.kill('SIGSTOP')) paused = true;
      },
      resume() {
        if (paused) {
          child.kill('SIGCONT');
          paused = false;
        }
      },
      get running() {
        return !stopping && child.exitCode === null && child.signalCode === null && !paused;
      },
    },
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) await kill('SIGTERM');
    },
  };
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
