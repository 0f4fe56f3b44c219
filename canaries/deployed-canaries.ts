import {
  type Canary,
  type CanaryRun,
  DescribeCanariesCommand,
  type DescribeCanariesCommandOutput,
  GetCanaryRunsCommand,
  StartCanaryCommand,
  StopCanaryCommand,
  SyntheticsClient,
} from '@aws-sdk/client-synthetics';
import { type Clock, systemClock } from '../core/clock.ts';
import { describeError, EnvironmentError, UsageError } from '../core/errors.ts';
import type { LoadedSuite, ResolvedEnvironment } from '../core/load-config.ts';
import type { Check } from '../core/run-result.ts';

/** One run of a deployed canary, as `GetCanaryRuns` reports it. */
export interface DeployedCanaryRun {
  id: string;
  /** `running` while the run's state is RUNNING. */
  status: 'passed' | 'failed' | 'running';
  startedAt?: string;
  completedAt?: string;
  /** `Status.StateReason` of a failed run. */
  reason?: string;
}

export interface DeployedCanary {
  /** The deployed name (with the environment's `aws.canaryPrefix`). */
  name: string;
  /** The name in the canary file (prefix removed). */
  localName: string;
  schedule?: string;
  state?: string;
  stateReason?: string;
  runtimeVersion?: string;
  /** Newest first. */
  runs: DeployedCanaryRun[];
}

/** A client for the environment's region; `AWS_ENDPOINT_URL` (moto in tests) is honoured by the SDK. */
function createSyntheticsClient(env: ResolvedEnvironment): SyntheticsClient {
  if (env.provider !== 'aws') {
    throw new UsageError(`environment "${env.name}" is not an aws environment (provider: ${env.provider})`);
  }
  return new SyntheticsClient(env.region ? { region: env.region } : {});
}

function awsError(action: string, error: unknown): EnvironmentError {
  const name = (error as { name?: string }).name ?? '';
  const credentials = /Credential|UnrecognizedClient|InvalidSignature|ExpiredToken|AccessDenied/i.test(name);
  return new EnvironmentError(credentials ? 'credentials' : 'aws-api', `${action}: ${describeError(error)}`, {
    cause: error,
    ...(credentials ? { hint: 'check AWS credentials and that the role may call synthetics:*Canar*' } : {}),
  });
}

function toRun(run: CanaryRun): DeployedCanaryRun {
  const state = run.Status?.State;
  return {
    id: run.Id ?? '',
    status: state === 'PASSED' ? 'passed' : state === 'FAILED' ? 'failed' : 'running',
    ...(run.Timeline?.Started ? { startedAt: new Date(run.Timeline.Started).toISOString() } : {}),
    ...(run.Timeline?.Completed ? { completedAt: new Date(run.Timeline.Completed).toISOString() } : {}),
    ...(state === 'FAILED' && run.Status?.StateReason ? { reason: run.Status.StateReason } : {}),
  };
}

async function listCanaries(client: SyntheticsClient, prefix: string): Promise<Canary[]> {
  const canaries: Canary[] = [];
  let token: string | undefined;
  for (let page = 0; page < 50; page++) {
    let out: DescribeCanariesCommandOutput;
    try {
      out = await client.send(new DescribeCanariesCommand({ ...(token ? { NextToken: token } : {}) }));
    } catch (error) {
      throw awsError('DescribeCanaries failed', error);
    }
    canaries.push(...(out.Canaries ?? []).filter((c) => (c.Name ?? '').startsWith(prefix)));
    token = out.NextToken;
    if (!token) break;
  }
  return canaries.sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));
}

async function fetchRuns(client: SyntheticsClient, name: string, max: number): Promise<DeployedCanaryRun[]> {
  try {
    const out = await client.send(new GetCanaryRunsCommand({ Name: name, MaxResults: max }));
    return (out.CanaryRuns ?? [])
      .map(toRun)
      .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
  } catch (error) {
    throw awsError(`GetCanaryRuns for ${name} failed`, error);
  }
}

export interface FetchDeployedOptions {
  client?: SyntheticsClient;
  /** Only these canaries (local names). */
  names?: readonly string[];
  /** How many recent runs to read per canary. @defaultValue 5 */
  runs?: number;
}

/** The environment's deployed canaries (names starting with `aws.canaryPrefix`) with their recent runs. */
export async function fetchDeployedCanaries(
  env: ResolvedEnvironment,
  options: FetchDeployedOptions = {},
): Promise<DeployedCanary[]> {
  const client = options.client ?? createSyntheticsClient(env);
  const prefix = env.aws?.canaryPrefix ?? '';
  const canaries = await listCanaries(client, prefix);
  const out: DeployedCanary[] = [];
  for (const canary of canaries) {
    const name = canary.Name ?? '';
    const localName = name.slice(prefix.length);
    if (options.names?.length && !options.names.includes(localName) && !options.names.includes(name))
      continue;
    out.push({
      name,
      localName,
      ...(canary.Schedule?.Expression ? { schedule: canary.Schedule.Expression } : {}),
      ...(canary.Status?.State ? { state: canary.Status.State } : {}),
      ...(canary.Status?.StateReason ? { stateReason: canary.Status.StateReason } : {}),
      ...(canary.RuntimeVersion ? { runtimeVersion: canary.RuntimeVersion } : {}),
      runs: await fetchRuns(client, name, options.runs ?? 5),
    });
  }
  return out;
}

/**
 * Preflight checks of an aws environment: one per deployed canary, failed when its latest completed
 * run failed (the canary is failing now), with the failure reason. The gate calls this before it
 * puts load on a service whose own canaries already say it is broken.
 */
export async function checkDeployedCanaries(
  env: ResolvedEnvironment,
  options: Omit<FetchDeployedOptions, 'names'> = {},
): Promise<Check[]> {
  if (env.provider !== 'aws') return [];
  const deployed = await fetchDeployedCanaries(env, { ...options, runs: options.runs ?? 3 });
  if (deployed.length === 0) {
    return [
      {
        id: 'preflight:deployed-canaries',
        kind: 'preflight',
        name: 'deployed canaries',
        status: 'skipped',
        measured: 0,
        threshold: null,
        message: `no deployed canaries named ${env.aws?.canaryPrefix ?? ''}* in ${env.name}`,
      },
    ];
  }
  return deployed.map((canary) => {
    const completed = canary.runs.filter((r) => r.status !== 'running');
    const latest = completed[0];
    const failed = completed.filter((r) => r.status === 'failed').length;
    const base = {
      id: `preflight:canary:${canary.localName}`,
      kind: 'preflight' as const,
      name: `deployed canary ${canary.name}`,
      measured: completed.length
        ? `${completed.length - failed}/${completed.length} recent runs passed`
        : null,
      threshold: 'latest run passed',
    };
    if (!latest)
      return { ...base, status: 'skipped' as const, message: `${canary.name} has no completed runs yet` };
    if (latest.status === 'failed') {
      return {
        ...base,
        status: 'failed' as const,
        message: `${canary.name} is failing: its last run (${latest.completedAt ?? latest.startedAt ?? 'unknown time'}) failed: ${latest.reason ?? 'no reason given'}`,
      };
    }
    return {
      ...base,
      status: 'passed' as const,
      message: `${canary.name}: last run passed (${latest.completedAt ?? ''})`,
    };
  });
}

export interface RemoteRunResult {
  canaryName: string;
  status: 'passed' | 'failed';
  runId?: string;
  completedAt?: string;
  reason?: string;
}

export interface RunRemoteOptions {
  loaded: LoadedSuite;
  env: ResolvedEnvironment;
  names?: readonly string[];
  client?: SyntheticsClient;
  clock?: Clock;
  /** Poll interval. @defaultValue 5 s */
  pollMs?: number;
  /** Give up waiting for a run after this long. @defaultValue 10 min */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Starts deployed canaries (`StartCanary`) and waits for the first run that started after the call to
 * complete. A canary that was not running is stopped again afterwards, so its state is as found.
 * `StartCanaryDryRun` would be preferable (syn-nodejs-playwright-2.0+), but the Synthetics client
 * this project can install (3.669) does not have that operation.
 */
export async function runRemoteCanaries(options: RunRemoteOptions): Promise<RemoteRunResult[]> {
  const client = options.client ?? createSyntheticsClient(options.env);
  const clock = options.clock ?? systemClock;
  const deployed = await fetchDeployedCanaries(options.env, {
    client,
    runs: 1,
    ...(options.names ? { names: options.names } : {}),
  });
  if (deployed.length === 0) {
    throw new EnvironmentError(
      'aws-api',
      `no deployed canaries${options.names?.length ? ` named ${options.names.join(', ')}` : ''} with prefix "${options.env.aws?.canaryPrefix ?? ''}" in ${options.env.name}`,
      { hint: 'deploy them with the infra app first (npm run synth, cdk deploy)' },
    );
  }
  return Promise.all(deployed.map((canary) => runOneRemote(client, clock, canary, options)));
}

async function runOneRemote(
  client: SyntheticsClient,
  clock: Clock,
  canary: DeployedCanary,
  options: RunRemoteOptions,
): Promise<RemoteRunResult> {
  const requestedAt = clock.wall().getTime();
  const wasRunning = canary.state === 'RUNNING';
  if (!wasRunning) {
    try {
      await client.send(new StartCanaryCommand({ Name: canary.name }));
    } catch (error) {
      throw awsError(`StartCanary ${canary.name} failed`, error);
    }
  }
  const deadline = clock.now() + (options.timeoutMs ?? 600_000);
  try {
    while (clock.now() < deadline) {
      const runs = await fetchRuns(client, canary.name, 5);
      // Allow a little clock skew between this machine and AWS.
      const ours = runs.find(
        (r) => r.status !== 'running' && r.startedAt && Date.parse(r.startedAt) >= requestedAt - 5_000,
      );
      if (ours) {
        return {
          canaryName: canary.name,
          status: ours.status === 'passed' ? 'passed' : 'failed',
          runId: ours.id,
          ...(ours.completedAt ? { completedAt: ours.completedAt } : {}),
          ...(ours.reason ? { reason: ours.reason } : {}),
        };
      }
      await clock.sleep(options.pollMs ?? 5_000, options.signal);
    }
    return {
      canaryName: canary.name,
      status: 'failed',
      reason: `no completed run within ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s`,
    };
  } finally {
    if (!wasRunning) await client.send(new StopCanaryCommand({ Name: canary.name })).catch(() => undefined);
  }
}
