import { connect } from 'node:net';
import { checkDeployedCanaries } from '../../canaries/deployed-canaries.ts';
import { loadCanaries } from '../../canaries/load-canaries.ts';
import { guardExperiments, isInteractive } from '../../chaos/guard.ts';
import { describeError, EnvironmentError } from '../../core/errors.ts';
import type { Check, StageName } from '../../core/run-result.ts';
import { findToolOrThrow, type ToolName } from '../../core/tools.ts';
import type { RunContext, Stage, StageOutcome } from '../stage.ts';
import { type EnvironmentTarget, listTargets, readyPathOf, resolveStageTarget } from '../targets.ts';

/** Why a connection failed, in words, from undici's error codes. */
function describeConnectError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: string } | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'its host name does not resolve';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connecting timed out';
    default:
      if (cause instanceof Error && cause.name === 'TimeoutError') return 'no answer within 5 s';
      return describeError(cause);
  }
}

async function probe(url: string, signal: AbortSignal): Promise<number> {
  const res = await fetch(url, {
    signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]),
    redirect: 'manual',
  });
  await res.body?.cancel();
  return res.status;
}

/**
 * First stage of every run: surfaces config warnings, proves the target answers (an unreachable
 * target is an environment error, exit 3), and records whether its readiness path (`readyPath`,
 * default `/`) answers 2xx/3xx as a `health` check.
 */
export const preflightStage: Stage = {
  name: 'preflight',
  run: checkTarget,
};

export interface GatePreflightOptions {
  /** The stages the gate will run after preflight: only their tools and guardrails are checked. */
  stages: readonly StageName[];
  /** `--confirm-env` for non-interactive chaos in production. */
  confirmEnv?: string;
  interactive?: boolean;
}

/**
 * The gate's preflight: the target answers, the chaos guardrails allow every experiment in this
 * environment, the tools the chosen stages need are installed (Chromium for browser canaries, k6 for
 * k6 profiles), and on aws the deployed canaries are passing. A missing tool is an environment error
 * (exit 3) and a refused experiment a usage error (exit 2), both before any load or fault.
 */
export function createGatePreflightStage(options: GatePreflightOptions): Stage {
  return {
    name: 'preflight',
    async run(context: RunContext): Promise<StageOutcome> {
      const outcome = await checkTarget(context);
      const checks = [...(outcome.checks ?? [])];
      const { suite } = context.loaded;
      const wants = (stage: StageName) => options.stages.includes(stage);

      if (wants('chaos') && Object.keys(suite.experiments).length > 0) {
        const names = Object.keys(suite.experiments);
        guardExperiments({
          envName: context.env.name,
          env: context.env,
          experiments: suite.experiments,
          names,
          allowProduction: context.options.allowProduction,
          confirmEnv: options.confirmEnv,
          interactive: options.interactive ?? isInteractive(),
        });
        checks.push({
          id: 'preflight:guardrails',
          kind: 'preflight',
          name: 'chaos guardrails',
          status: 'passed',
          measured: `${names.length} experiment${names.length === 1 ? '' : 's'}`,
          threshold: null,
          message: context.env.production
            ? `production environment ${context.env.name}: allowed by --allow-production, every experiment has a stop condition`
            : `${context.env.name} is not a production environment`,
        });
      }

      const tools = new Set<ToolName>();
      if (context.env.provider === 'embedded' && (wants('canaries') || wants('canaries-after'))) {
        const { canaries } = await loadCanaries(context.loaded);
        if (canaries.some((c) => c.definition.options.type === 'browser')) tools.add('chromium');
      }
      const profiles = [
        ...(wants('load') && suite.load.default ? [suite.load.default] : []),
        ...(wants('chaos') ? Object.values(suite.experiments).map((e) => e.load) : []),
      ];
      if (profiles.some((p) => p !== undefined && suite.load.profiles[p]?.engine === 'k6')) tools.add('k6');
      for (const tool of tools) {
        const path = findToolOrThrow(tool);
        checks.push({
          id: `preflight:tool:${tool}`,
          kind: 'preflight',
          name: `${tool} is installed`,
          status: 'passed',
          measured: path,
          threshold: null,
          message: `${tool} at ${path}`,
        });
      }

      if (context.env.provider === 'aws') checks.push(...(await checkDeployedCanaries(context.env)));
      return { checks };
    },
  };
}

async function checkTarget(context: RunContext): Promise<StageOutcome> {
  for (const warning of context.loaded.warnings) {
    context.timeline.emit({ type: 'progress', stage: 'preflight', level: 'warn', message: warning });
  }
  const checks: Check[] = [];
  // Every target of the environment, each on its own readiness path (or TCP port).
  for (const entry of listTargets(context.env)) {
    checks.push(
      entry.url === undefined ? await checkTcpTarget(context, entry) : await checkHttpTarget(context, entry),
    );
  }
  return { checks };
}

async function checkHttpTarget(context: RunContext, entry: EnvironmentTarget): Promise<Check> {
  const reached = resolveStageTarget(context, entry.name);
  // The target itself, not the fault gateway in front of it: a gateway would answer 502 for a target
  // that is down, and readiness is the target's own.
  const base = (reached.target?.directUrl ?? reached.url).replace(/\/$/, '');
  const path = readyPathOf(context.env, entry);
  const label = entry.name === undefined ? '' : ` "${entry.name}"`;
  let status: number;
  try {
    status = await probe(base + path, context.signal);
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    throw new EnvironmentError(
      'target-unreachable',
      `target${label} ${base} of environment "${context.env.name}" is unreachable: ${describeConnectError(error)}.`,
      { cause: error },
    );
  }
  const ok = status >= 200 && status < 400;
  return {
    id: entry.name === undefined ? 'health:ready' : `health:ready:${entry.name}`,
    kind: 'health',
    name: `target${label} answers ${path}`,
    status: ok ? 'passed' : 'failed',
    measured: status,
    threshold: '2xx or 3xx',
    unit: 'status',
    message: ok
      ? `GET ${path} answered ${status}`
      : `GET ${base}${path} answered ${status}${path === '/' && entry.readyPath === undefined ? ` (set readyPath ${entry.name === undefined ? 'in the environment' : 'on the target'} to check another path)` : ''}`,
  };
}

/** A target without http (a database): ready when its `readyTcp` address accepts a connection. */
async function checkTcpTarget(context: RunContext, entry: EnvironmentTarget): Promise<Check> {
  const address = entry.readyTcp ?? '';
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = Number(address.slice(at + 1));
  const error = await new Promise<Error | undefined>((done) => {
    const socket = connect({ host, port, timeout: 5000, signal: context.signal });
    socket.once('connect', () => {
      socket.destroy();
      done(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done(Object.assign(new Error('timeout'), { name: 'TimeoutError' }));
    });
    socket.once('error', done);
  });
  if (context.signal.aborted) throw context.signal.reason;
  if (error) {
    throw new EnvironmentError(
      'target-unreachable',
      `target "${entry.name}" (${address}) of environment "${context.env.name}" is unreachable: ${describeConnectError(error)}.`,
      { cause: error },
    );
  }
  return {
    id: `health:tcp:${entry.name}`,
    kind: 'health',
    name: `target "${entry.name}" accepts connections`,
    status: 'passed',
    measured: address,
    threshold: null,
    message: `${address} accepted a TCP connection`,
  };
}
