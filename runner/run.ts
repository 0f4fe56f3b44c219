/**
 * executeRun, the runner every command goes through: run directory, telemetry, targets and their
 * gateways, stages on one Timeline, interrupts, the result. One file, over 400 lines, because the
 * order of start-up and teardown (targets, gateways, telemetry, reporters) must read top to bottom.
 */

import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { type Clock, systemClock } from '../core/clock.ts';
import { describeError, InterruptedError, isOpsproofError, UsageError } from '../core/errors.ts';
import type { LoadedSuite, ResolvedEnvironment } from '../core/load-config.ts';
import {
  type Check,
  type CheckStatus,
  RESULT_SCHEMA_VERSION,
  type RunResult,
  type RunStatus,
  type StageName,
  type StageResult,
  summarizeStatus,
} from '../core/run-result.ts';
import { Timeline } from '../core/timeline.ts';
import { addReporterOutput, type Reporter } from '../reports/reporter.ts';
import { asEmbedded, createTelemetry } from '../telemetry/create-telemetry.ts';
import type { Telemetry } from '../telemetry/port.ts';
import {
  buildProcessTargetSpec,
  canFrontOutsideTarget,
  frontOutsideTarget,
  type StartTargetOptions,
  startLocalTarget,
  startTargetProcess,
  withFaultGateway,
} from './local-target.ts';
import {
  type RunContext,
  type RunOptions,
  type Stage,
  StageInterruptedError,
  type StageOutcome,
  type StartedTarget,
} from './stage.ts';
import { listTargets } from './targets.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface ExecuteRunInput {
  /** The command as typed (`gate`, `drill dr-process-kill`, `load run steady`). */
  command: string;
  stages: readonly Stage[];
  loaded: LoadedSuite;
  env: ResolvedEnvironment;
  options?: Partial<RunOptions>;
  /** Run directory. @defaultValue `reports/<run-id>/` under the working directory */
  outDir?: string;
  runId?: string;
  /** Told about the run's lifecycle and every timeline event; what it adds `onEnd` is in the returned result. */
  reporter?: Reporter;
  /** Aborts the run (Ctrl-C). Without one, SIGINT/SIGTERM are wired for the duration of the run. */
  signal?: AbortSignal;
  clock?: Clock;
  /** The telemetry provider; closed at the end only when the runner created it. */
  telemetry?: Telemetry;
  /** Whether to start the local target (`env.demo` / `env.start`). @defaultValue true */
  startTarget?: boolean;
  /**
   * Whether the embedded provider evaluates the suite's alarms. Off for a run against a target no
   * fault gateway fronts: nothing records its requests, so every alarm would go from
   * INSUFFICIENT_DATA to OK on missing data and say nothing. The aws provider's alarms are real and
   * always watched. @defaultValue true
   */
  embeddedAlarms?: boolean;
  /**
   * Put the fault gateway in front of the target (embedded provider): the started one, or `env.target`
   * when it already runs on loopback, so its requests feed the request metrics and gateway faults
   * reach them. @defaultValue true when the runner resolves the target itself
   * (`startTarget` not false), false otherwise
   */
  faultGateway?: boolean;
  /** Lines the started target prints (stdout and stderr), e.g. for log capture. */
  onTargetLog?: StartTargetOptions['onLog'];
}

/** A telemetry that holds nothing: stages of a run whose provider failed to start never reach it. */
function inertTelemetry(provider: 'embedded' | 'aws'): Telemetry {
  return {
    provider,
    putMetricData: async () => {},
    getAlarmState: async () => undefined,
    getAlarmHistory: async () => [],
    findTraces: async () => [],
    findLogs: async () => [],
    close: async () => {},
  };
}

/** `20260101T120000Z-3f2a`: sortable, unique enough for one machine, safe in paths. */
export function createRunId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const suffix = Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0');
  return `${stamp}-${suffix}`;
}

/** Keeps the stages named by `--only`, drops those named by `--skip`; unknown names are usage errors. */
export function selectStages(
  stages: readonly Stage[],
  selection: { only?: readonly string[]; skip?: readonly string[] },
): Stage[] {
  const known = stages.map((s) => s.name);
  for (const name of [...(selection.only ?? []), ...(selection.skip ?? [])]) {
    if (!known.includes(name as StageName)) {
      throw new UsageError(
        `unknown stage "${name}"; expected one of ${known.map((k) => `"${k}"`).join(', ')}`,
      );
    }
  }
  return stages.filter(
    (s) => (!selection.only?.length || selection.only.includes(s.name)) && !selection.skip?.includes(s.name),
  );
}

function stageStatus(outcome: StageOutcome): CheckStatus {
  if (outcome.skipped !== undefined) return 'skipped';
  const statuses = (outcome.checks ?? []).map((c) => c.status);
  if (statuses.includes('error')) return 'error';
  if (statuses.includes('failed')) return 'failed';
  return 'passed';
}

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || error instanceof InterruptedError;
}

/** An AbortSignal fired by the first SIGINT/SIGTERM; `dispose` removes the handlers. */
export function createInterruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => controller.abort(new InterruptedError(signal));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Runs stages in order on one Timeline: starts the local target, gives every stage the same
 * context, merges their outcomes into the RunResult, and always stops the target. A stage that
 * throws is recorded as an error and the remaining stages are skipped; clean-up still runs.
 */
export async function executeRun(input: ExecuteRunInput): Promise<RunResult> {
  const clock = input.clock ?? systemClock;
  const runId = input.runId ?? createRunId(clock.wall());
  const outDir = resolve(input.outDir ?? resolve(process.cwd(), 'reports', runId));
  mkdirSync(outDir, { recursive: true });
  const interrupt = input.signal ? undefined : createInterruptSignal();
  const signal = input.signal ?? interrupt!.signal;
  const options: RunOptions = { kpis: [], allowProduction: false, dryRun: false, ...input.options };
  const ownsTelemetry = input.telemetry === undefined;

  const timeline = new Timeline(clock);
  const reporter = input.reporter;
  if (reporter?.onEvent) timeline.on((record) => reporter.onEvent?.(record));
  await reporter?.onBegin?.({ runId, command: input.command, env: input.env.name, outDir });

  const startedAt = clock.wall();
  const checks: Check[] = [];
  const stages: StageResult[] = [];
  const merged: Pick<
    RunResult,
    'load' | 'canaries' | 'experiments' | 'expectations' | 'drill' | 'artifacts'
  > = { artifacts: [] };
  const mergeOutcome = (outcome: StageOutcome) => {
    if (outcome.load) merged.load = outcome.load;
    if (outcome.canaries) merged.canaries = [...(merged.canaries ?? []), ...outcome.canaries];
    if (outcome.experiments) merged.experiments = [...(merged.experiments ?? []), ...outcome.experiments];
    if (outcome.expectations) merged.expectations = [...(merged.expectations ?? []), ...outcome.expectations];
    if (outcome.drill) merged.drill = outcome.drill;
    if (outcome.artifacts) merged.artifacts.push(...outcome.artifacts);
  };
  let runError: unknown;
  let target: StartedTarget | undefined;
  /** Every target the run started or fronted (the default one too): all are stopped at the end. */
  const startedTargets: StartedTarget[] = [];
  const namedTargets: NonNullable<RunContext['targets']> = {};
  let targetUrl: string | null = input.env.target;
  /** The gateway in front of a target opsproof did not start: stages hit it, reports name env.target. */
  let outsideGatewayUrl: string | undefined;

  timeline.emit({
    type: 'run.start',
    runId,
    command: input.command,
    env: input.env.name,
    // A target opsproof starts has no URL yet.
    target:
      input.env.demo || listTargets(input.env).find((t) => t.isDefault)?.start ? null : input.env.target,
  });

  // The telemetry provider (embedded: metric store, alarms, OTLP receiver, log capture) exists before
  // the target starts, so the target can export traces to it and its log lines are captured.
  let telemetry: Telemetry | undefined = input.telemetry;
  const targetLogs = new PassThrough();
  try {
    telemetry ??= await createTelemetry(input.env, {
      suite:
        input.embeddedAlarms === false && input.env.provider === 'embedded'
          ? { ...input.loaded.suite, alarms: [] }
          : input.loaded.suite,
      timeline,
      clock,
      ...(options.redact ? { redactLog: options.redact } : {}),
    });
    const embedded = asEmbedded(telemetry);
    embedded?.captureLogs(targetLogs, 'target');
    const wantsGateway =
      input.env.provider === 'embedded' && (input.faultGateway ?? input.startTarget !== false);
    const extraEnv: Record<string, string> = embedded?.otlpUrl
      ? { OTEL_EXPORTER_OTLP_ENDPOINT: embedded.otlpUrl }
      : {};
    // Every target is started and fronted in config order; the default one feeds `target`/`targetUrl`,
    // the others `namedTargets`. Each gateway has its own ApiName (README: several targets).
    for (const entry of listTargets(input.env)) {
      if (entry.url === undefined) {
        // A process without http (a database): started when asked, no gateway (no http to front).
        if (!entry.name || !entry.start || !entry.readyTcp || input.startTarget === false) continue;
        const spec = buildProcessTargetSpec(entry.name, entry.start, entry.readyTcp, input.loaded.dir);
        const processTarget = await startTargetProcess(
          { ...spec, env: { ...spec.env, ...extraEnv } },
          {
            timeline,
            signal,
            onLog: (line, source) => {
              if (source === 'stdout') targetLogs.write(`${line}\n`);
              input.onTargetLog?.(line, source);
            },
          },
        );
        startedTargets.push(processTarget);
        namedTargets[entry.name] = { url: spec.url, target: processTarget };
        continue;
      }
      const view: ResolvedEnvironment =
        entry.name === undefined
          ? input.env
          : {
              ...input.env,
              target: entry.url,
              demo: false,
              ...(entry.readyPath === undefined ? {} : { readyPath: entry.readyPath }),
              ...(entry.start === undefined ? {} : { start: entry.start }),
            };
      const reached = await reachTarget(view, {
        startTarget: input.startTarget !== false,
        wantsGateway,
        apiName:
          entry.name === undefined || input.env.targets === undefined
            ? input.loaded.suite.service
            : `${input.loaded.suite.service}-${entry.name}`,
        configDir: input.loaded.dir,
        timeline,
        signal,
        clock,
        telemetry,
        extraEnv,
        onLog: (line, source) => {
          if (source === 'stdout') targetLogs.write(`${line}\n`);
          input.onTargetLog?.(line, source);
        },
      });
      if (reached.target) startedTargets.push(reached.target);
      if (entry.isDefault) {
        target = reached.target;
        if (reached.started) targetUrl = reached.url;
        outsideGatewayUrl = reached.outsideGatewayUrl;
      } else if (entry.name !== undefined) {
        namedTargets[entry.name] = { url: reached.url, target: reached.target };
      }
    }
  } catch (error) {
    runError = error;
  }
  // Stages always get a telemetry, even when the provider failed to start (the run is erroring then).
  const stageTelemetry: Telemetry = telemetry ?? inertTelemetry(input.env.provider);

  const context: RunContext = {
    runId,
    command: input.command,
    loaded: input.loaded,
    env: input.env,
    targetUrl: outsideGatewayUrl ?? targetUrl ?? input.env.target,
    target,
    ...(input.env.targets ? { targets: namedTargets } : {}),
    timeline,
    telemetry: stageTelemetry,
    clock,
    signal,
    outDir,
    options,
  };

  try {
    for (const stage of input.stages) {
      if (runError !== undefined || signal.aborted) {
        const at = clock.wall().toISOString();
        const why = signal.aborted ? 'interrupted' : 'not run after an earlier error';
        stages.push({
          name: stage.name,
          status: 'skipped',
          startedAt: at,
          endedAt: at,
          durationMs: 0,
          message: why,
        });
        continue;
      }
      const stageStart = clock.now();
      const stageStartedAt = clock.wall().toISOString();
      timeline.emit({ type: 'stage.start', stage: stage.name });
      let status: CheckStatus;
      let message: string | undefined;
      try {
        const outcome = await stage.run(context);
        for (const check of outcome.checks ?? []) {
          const withStage = { ...check, stage: check.stage ?? stage.name };
          checks.push(withStage);
          if (!timeline.find('check', (r) => r.id === check.id)) {
            timeline.emit({
              type: 'check',
              id: check.id,
              name: check.name,
              status: check.status,
              message: check.message,
            });
          }
        }
        mergeOutcome(outcome);
        status = stageStatus(outcome);
        message = outcome.skipped;
      } catch (error) {
        runError = error;
        status = isAbort(error, signal) ? 'skipped' : 'error';
        message = isAbort(error, signal)
          ? 'interrupted'
          : isOpsproofError(error)
            ? error.message
            : describeError(error);
        if (error instanceof StageInterruptedError) {
          mergeOutcome(error.partial);
          message = 'interrupted; what it measured until then is kept';
        }
      }
      const durationMs = Math.round(clock.now() - stageStart);
      timeline.emit({
        type: 'stage.end',
        stage: stage.name,
        status,
        durationMs,
        ...(message ? { message } : {}),
      });
      stages.push({
        name: stage.name,
        status,
        startedAt: stageStartedAt,
        endedAt: clock.wall().toISOString(),
        durationMs,
        ...(message ? { message } : {}),
      });
    }
  } finally {
    for (const started of startedTargets.reverse()) {
      try {
        await started.stop();
      } catch (error) {
        runError ??= error;
      }
    }
    targetLogs.end();
    if (ownsTelemetry) await telemetry?.close().catch(() => {});
    interrupt?.dispose();
  }

  let status: RunStatus;
  let error: string | undefined;
  if (signal.aborted || runError instanceof InterruptedError) {
    status = 'interrupted';
    error = describeError(signal.reason ?? runError);
  } else if (runError !== undefined) {
    status = 'error';
    // Our own errors already say what went wrong in one sentence; their causes are for debugging.
    error = isOpsproofError(runError) ? runError.message : describeError(runError);
    if (isOpsproofError(runError) && runError.hint) error += ` (${runError.hint})`;
  } else {
    status = summarizeStatus(checks);
  }
  timeline.emit({ type: 'run.end', status });
  const endedAt = clock.wall();
  if (outsideGatewayUrl !== undefined && merged.load?.target === outsideGatewayUrl) {
    merged.load = { ...merged.load, target: input.env.target };
  }

  const result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId,
    tool: { name: 'opsproof', version: VERSION },
    command: input.command,
    service: input.loaded.suite.service,
    env: input.env.name,
    provider: input.env.provider,
    target: targetUrl,
    ...(input.env.targets ? { targets: buildTargetsMap(input.env, namedTargets, targetUrl) } : {}),
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: Math.max(0, endedAt.getTime() - startedAt.getTime()),
    status,
    ...(error !== undefined ? { error } : {}),
    checks,
    stages,
    ...merged,
    timeline: [...timeline.records()],
  };
  // Reporters return what they add (report.png among the artifacts); the result holds it, as result.json does.
  return addReporterOutput(result, await reporter?.onEnd?.(result));
}

/**
 * `result.targets`: each named target's URL as reports name it, the same way as `target`. A process
 * without http is left out.
 */
function buildTargetsMap(
  env: ResolvedEnvironment,
  reached: NonNullable<RunContext['targets']>,
  defaultUrl: string | null,
): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of listTargets(env)) {
    if (entry.name === undefined || entry.url === undefined) continue;
    const named = reached[entry.name];
    // A started target is named by the URL the stages reached, as `target` is; one already running by its own.
    map[entry.name] = entry.isDefault
      ? (defaultUrl ?? entry.url)
      : named?.target?.process
        ? named.url
        : entry.url;
  }
  return map;
}

interface ReachTargetOptions {
  startTarget: boolean;
  wantsGateway: boolean;
  apiName: string;
  configDir: string;
  timeline: Timeline;
  signal: AbortSignal;
  clock: Clock;
  telemetry: Telemetry;
  extraEnv: Record<string, string>;
  onLog: NonNullable<StartTargetOptions['onLog']>;
}

/**
 * One target made ready for the stages: started (`start`/`demo`) when asked, and fronted by its own
 * fault gateway on the embedded provider (a started target, or one already running on loopback).
 */
async function reachTarget(
  env: ResolvedEnvironment,
  options: ReachTargetOptions,
): Promise<{ target: StartedTarget | undefined; url: string; started: boolean; outsideGatewayUrl?: string }> {
  const gatewayOptions = { telemetry: options.telemetry, apiName: options.apiName, clock: options.clock };
  if (options.startTarget) {
    const direct = await startLocalTarget({
      env,
      configDir: options.configDir,
      timeline: options.timeline,
      signal: options.signal,
      extraEnv: options.extraEnv,
      onLog: options.onLog,
    });
    if (direct) {
      // Embedded provider: requests go through the fault gateway, which records them as metrics.
      const target = options.wantsGateway
        ? await withFaultGateway(direct, gatewayOptions).catch(async (error: unknown) => {
            await direct.stop();
            throw error;
          })
        : direct;
      return { target, url: target.url, started: true };
    }
  }
  // A target that already runs gets the gateway too (DESIGN.md, Targets); reports keep its own URL.
  if (!options.wantsGateway) return { target: undefined, url: env.target, started: false };
  if (!canFrontOutsideTarget(env.target)) {
    options.timeline.emit({
      type: 'progress',
      level: 'warn',
      message: `no fault gateway in front of ${env.target} (only targets on loopback are fronted): its requests feed no request metrics and gateway faults cannot reach it`,
    });
    return { target: undefined, url: env.target, started: false };
  }
  const target = await frontOutsideTarget(env.target, gatewayOptions);
  options.timeline.emit({
    type: 'progress',
    level: 'info',
    message: `fault gateway ${target.url} in front of ${env.target}: its requests feed the request metrics`,
  });
  return { target, url: target.url, started: false, outsideGatewayUrl: target.url };
}
