import { describeExpectation, evaluateExpectations } from '../assertions/evaluate-expectation.ts';
import { type SteadyState, steadyStateOf, waitForSteadyState } from '../assertions/wait-for-steady-state.ts';
import { buildLocalPlan } from '../chaos/build-local-plan.ts';
import {
  createControlApiController,
  createInProcessController,
  type FaultController,
} from '../chaos/fault-controller.ts';
import { type FaultGateway, startFaultGateway } from '../chaos/fault-gateway.ts';
import { runFisExperiment } from '../chaos/run-fis-experiment.ts';
import { runLocalExperiment } from '../chaos/run-local-experiment.ts';
import { parseDuration } from '../core/duration.ts';
import { describeError, UsageError } from '../core/errors.ts';
import type { ExpectationResult, ExperimentJournal, LoadSummary, StageName } from '../core/run-result.ts';
import type { Expectation, Experiment } from '../core/schema.ts';
import { LoadInterruptedError } from '../load/load-interrupted-error.ts';
import { runLoad } from '../load/run-load.ts';
import { plainHeaders } from './plain-headers.ts';
import { createProcessFaults } from './process-faults.ts';
import type { RunContext } from './stage.ts';
import { withRunbooks } from './stages/assertions-stage.ts';
import { fisRunOptions } from './stages/fis-run-options.ts';
import { defaultTargetName, resolveStageTarget, type StageTarget } from './targets.ts';

/** One experiment to run under load, as the gate's chaos stage and the drills ask for it. */
export interface ExperimentUnderLoad<T = undefined> {
  /** The experiment's name: its journal, and the anchor of its expectations. */
  name: string;
  experiment: Experiment;
  /** The stage whose progress events this emits. */
  stage: StageName;
  /** Load profile running in the background from before the fault until the end. @defaultValue experiment.load */
  load?: string;
  /** What must hold around the fault; their alarms are the steady state. @defaultValue experiment.expect */
  expect?: Expectation[];
  /** FIS polling interval (the aws engine). */
  fisPollMs?: number;
  /**
   * After the warm-up and the steady state of the expectations' alarms, before the fault: the
   * caller's own precondition (a DR drill's detector passing). Throwing ends the run, load stopped.
   */
  beforeFault?: () => Promise<void>;
  /**
   * After the experiment and its expectations, while the load still runs: what the caller measures
   * from the load (a drill's recovery and the load's last tick). Its value is `after` in the result.
   */
  whileLoaded?: (run: { journal: ExperimentJournal; expectations: ExpectationResult[] }) => Promise<T>;
}

export interface ExperimentUnderLoadResult<T = undefined> {
  /** The journal; `deviated` when an expectation failed, `targetName` when the environment names targets. */
  journal: ExperimentJournal;
  /** Expectation results with their runbooks, tagged with the experiment. */
  expectations: ExpectationResult[];
  /** Set when the steady state was not met: the experiment was not run (journal `failed`, no activities). */
  steadyState?: SteadyState;
  /** The background load's summary, when one ran (`interrupted` when stopped before its duration). */
  load?: LoadSummary;
  /** What `whileLoaded` returned; undefined when the experiment was not run. */
  after?: T;
}

/**
 * The fault gateways of a stage's experiments: `--gateway`'s control API when given, and those this
 * path starts for targets that have none (a target the run did not front), one per upstream, reused
 * by the stage's experiments and closed by the stage.
 */
export interface ExperimentGateways {
  /** Control API of an already running gateway (`chaos run --gateway`): every fault goes there. */
  readonly controlUrl: string | undefined;
  forUpstream(upstream: string): Promise<FaultGateway>;
  close(): Promise<void>;
}

export function createExperimentGateways(context: RunContext, controlUrl?: string): ExperimentGateways {
  const gateways = new Map<string, Promise<FaultGateway>>();
  return {
    controlUrl,
    forUpstream(upstream) {
      let gateway = gateways.get(upstream);
      if (!gateway) {
        gateway = startFaultGateway({
          upstream,
          telemetry: context.telemetry,
          apiName: context.loaded.suite.service,
          clock: context.clock,
        });
        gateways.set(upstream, gateway);
      }
      return gateway;
    },
    async close() {
      const all = await Promise.allSettled(gateways.values());
      gateways.clear();
      await Promise.all(all.map((g) => (g.status === 'fulfilled' ? g.value.close() : undefined)));
    },
  };
}

/** Where an experiment's faults go and where its load is sent. */
export interface ExperimentRouting {
  engine: 'local' | 'fis';
  faults?: FaultController;
  /** Base URL of the background load: through the gateway that takes the faults. */
  loadTarget: string;
  /** The experiment's named target (`localTarget`; undefined: the single-target form). */
  targetName: string | undefined;
}

/**
 * The experiment's own target: its `localTarget` among the environment's named targets, else the
 * default one (an environment with one `target` ignores names).
 */
function resolveExperimentTarget(
  context: Pick<RunContext, 'env' | 'targetUrl' | 'target' | 'targets'>,
  experiment: Pick<Experiment, 'localTarget'>,
): StageTarget {
  return context.env.targets === undefined
    ? resolveStageTarget(context)
    : resolveStageTarget(context, experiment.localTarget);
}

/**
 * Where the experiment's faults go and its load is sent: its target (for a target without http, such
 * as a database, the traffic goes to the default target; process faults name their own; a load profile
 * naming a target sends its load there), and its fault controller — `--gateway`'s control API, else
 * the gateway the run put in front of the target, else one started here when the plan has gateway
 * faults.
 */
export async function routeExperiment(
  context: RunContext,
  request: Pick<ExperimentUnderLoad<unknown>, 'name' | 'experiment' | 'load'>,
  gateways: ExperimentGateways,
): Promise<ExperimentRouting> {
  const { experiment } = request;
  const named = context.env.targets !== undefined;
  const chosen = resolveExperimentTarget(context, experiment);
  const isHttp = /^https?:\/\//.test(chosen.url);
  const traffic = isHttp ? chosen : resolveStageTarget(context);
  const profileTarget = request.load ? context.loaded.suite.load.profiles[request.load]?.target : undefined;
  const loadTarget = named && profileTarget ? resolveStageTarget(context, profileTarget).url : traffic.url;
  const base = { targetName: chosen.name };
  if (context.env.provider === 'aws') return { engine: 'fis', loadTarget, ...base };
  if (gateways.controlUrl) {
    return { engine: 'local', faults: createControlApiController(gateways.controlUrl), loadTarget, ...base };
  }
  if (traffic.target?.controlUrl) {
    return {
      engine: 'local',
      faults: createControlApiController(traffic.target.controlUrl, traffic.url),
      loadTarget,
      ...base,
    };
  }
  if (!buildLocalPlan(request.name, experiment).some((s) => s.effect.kind === 'fault')) {
    return { engine: 'local', loadTarget, ...base };
  }
  const gateway = await gateways.forUpstream(traffic.target?.directUrl ?? traffic.url);
  return {
    engine: 'local',
    faults: createInProcessController(gateway),
    loadTarget: loadTarget === traffic.url ? gateway.url : loadTarget,
    ...base,
  };
}

/** The experiment through its engine: FIS on aws, the local engine (gateway and process faults) otherwise. */
function runEngine(
  context: RunContext,
  request: ExperimentUnderLoad<unknown>,
  routing: ExperimentRouting,
): Promise<ExperimentJournal> {
  if (routing.engine === 'fis') {
    return runFisExperiment(request.name, request.experiment, {
      ...fisRunOptions(context),
      ...(request.fisPollMs ? { pollMs: request.fisPollMs } : {}),
    });
  }
  return runLocalExperiment(request.name, request.experiment, {
    ...(routing.faults ? { faults: routing.faults } : {}),
    // Process faults act on the target each step names (a database, the default target …).
    processes: createProcessFaults(context),
    // The journal names the default target as the environment does (`api`), not as ''.
    defaultTarget: defaultTargetName(context.env),
    commandCwd: context.loaded.dir,
    telemetry: context.telemetry,
    timeline: context.timeline,
    clock: context.clock,
    signal: context.signal,
    dryRun: context.options.dryRun,
  });
}

/** Load in the background until `stop()`; a failure is a warning, the experiment still runs. */
function startBackgroundLoad(context: RunContext, request: ExperimentUnderLoad<unknown>, target: string) {
  const profileName = request.load ?? request.experiment.load;
  const profiles = context.loaded.suite.load.profiles;
  const profile = profileName ? profiles[profileName] : undefined;
  if (profileName && !profile) {
    throw new UsageError(`experiment ${request.name}: no load profile "${profileName}"`, {
      hint: `profiles: ${Object.keys(profiles).join(', ') || '(none)'}`,
    });
  }
  const stop = new AbortController();
  const signal = AbortSignal.any([context.signal, stop.signal]);
  const running =
    profile && profileName && !context.options.dryRun
      ? runLoad(profile, {
          target,
          timeline: context.timeline,
          signal,
          name: profileName,
          headers: plainHeaders(context.env),
        }).catch((error: unknown) => {
          // Stopped once the experiment is over: what it measured until then (`interrupted: true`).
          if (error instanceof LoadInterruptedError) return error.partial;
          if (!signal.aborted)
            context.timeline.emit({
              type: 'progress',
              stage: request.stage,
              level: 'warn',
              message: `experiment ${request.name}: load ${profileName} failed: ${describeError(error)}`,
            });
          return undefined;
        })
      : undefined;
  return {
    warmupMs: running && profile?.warmup ? (parseDuration(profile.warmup) ?? 0) : 0,
    async stop(): Promise<LoadSummary | undefined> {
      stop.abort();
      return running;
    },
  };
}

/** Expectations anchored on the fault's end (or the experiment's) can only start once it ended. */
function isLate(e: Expectation): boolean {
  return 'after' in e && (e.after === 'fault.end' || e.after === 'experiment.end');
}

/**
 * The one path of an experiment under load, for the gate's chaos stage and both drills: routes its
 * faults (see {@link routeExperiment}), starts its background load, waits for the warm-up and the
 * steady state (the alarms its expectations name out of ALARM, at most their longest `within`), runs
 * it through its engine while its expectations are watched, stops the load and returns the journal,
 * the expectation results and the load summary. Never prints; a steady state not met is a result.
 */
export async function runExperimentUnderLoad<T = undefined>(
  context: RunContext,
  request: ExperimentUnderLoad<T>,
  gateways: ExperimentGateways,
): Promise<ExperimentUnderLoadResult<T>> {
  const { name, experiment } = request;
  const expect = request.expect ?? experiment.expect;
  const live = !context.options.dryRun;
  const loadName = request.load ?? experiment.load;
  const routing = await routeExperiment(context, { ...request, load: loadName }, gateways);
  const tagged = (journal: ExperimentJournal): ExperimentJournal =>
    routing.targetName === undefined ? journal : { ...journal, targetName: routing.targetName };
  const load = startBackgroundLoad(context, request, routing.loadTarget);
  // Expectations still watching when the experiment did not complete are cancelled, not left polling.
  const cancel = new AbortController();
  let loadSummary: LoadSummary | undefined;
  try {
    if (load.warmupMs > 0) await context.clock.sleep(load.warmupMs, context.signal).catch(() => {});
    // Steady state first: a fault injected while its alarms are not OK proves nothing.
    const steadyState = steadyStateOf(expect);
    if (live && steadyState.alarms.length > 0) {
      const startedAt = context.clock.wall();
      const steady = await waitForSteadyState(steadyState.alarms, {
        telemetry: context.telemetry,
        clock: context.clock,
        signal: context.signal,
        timeoutMs: steadyState.timeoutMs,
      });
      if (!steady.met) {
        loadSummary = await load.stop();
        const endedAt = context.clock.wall();
        const journal: ExperimentJournal = {
          experiment: name,
          engine: routing.engine,
          status: 'failed',
          deviated: true,
          startedAt: startedAt.toISOString(),
          endedAt: endedAt.toISOString(),
          durationMs: endedAt.getTime() - startedAt.getTime(),
          dryRun: false,
          activities: [],
          error: `${steady.message}; the experiment was not run`,
        };
        context.timeline.emit({
          type: 'progress',
          stage: request.stage,
          level: 'warn',
          message: `experiment ${name}: ${journal.error}`,
        });
        return {
          journal: tagged(journal),
          expectations: [],
          steadyState: steady,
          ...(loadSummary ? { load: loadSummary } : {}),
        };
      }
    }
    if (live) await request.beforeFault?.();

    const evaluate = (list: Expectation[]) =>
      evaluateExpectations(list, {
        timeline: context.timeline,
        telemetry: context.telemetry,
        clock: context.clock,
        signal: AbortSignal.any([context.signal, cancel.signal]),
        experiment: name,
        alarms: context.loaded.suite.alarms,
        // Alarm time runs faster only on the embedded provider.
        timeScale: context.env.provider === 'embedded' ? context.env.timeScale : 1,
      });
    const early = expect.filter((e) => !isLate(e));
    const late = expect.filter(isLate);
    const watching = live && early.length > 0 ? evaluate(early) : Promise.resolve([]);
    // Awaited only after the experiment; an interrupt rejects it long before, and an unhandled
    // rejection would end the process before the experiment has cleared its faults.
    watching.catch(() => {});

    let journal = await runEngine(context, request, routing);
    let results: ExpectationResult[] = [];
    if (live && expect.length > 0) {
      if (journal.status === 'completed') {
        results = await Promise.all([watching, late.length > 0 ? evaluate(late) : Promise.resolve([])])
          .then(([a, b]) => [...a, ...b])
          .catch((error: unknown): ExpectationResult[] => [
            {
              name: 'expectations',
              kind: 'error',
              status: context.signal.aborted ? 'skipped' : 'error',
              measuredMs: null,
              deadlineMs: null,
              message: describeError(error),
            },
          ]);
      } else {
        cancel.abort();
        results = expect.map((e) => notEvaluated(e, journal));
      }
      results = withRunbooks(results, context).map((r) => ({ ...r, experiment: name }));
      journal = { ...journal, deviated: results.some((r) => r.status === 'failed' || r.status === 'error') };
    }
    const after = await request.whileLoaded?.({ journal, expectations: results });
    loadSummary = await load.stop();
    return {
      journal: tagged(journal),
      expectations: results,
      ...(loadSummary ? { load: loadSummary } : {}),
      ...(after === undefined ? {} : { after }),
    };
  } finally {
    cancel.abort();
    await load.stop();
  }
}

/** An expectation of an experiment that did not complete: nothing to time it against. */
function notEvaluated(e: Expectation, journal: ExperimentJournal): ExpectationResult {
  return {
    name: describeExpectation(e),
    kind: e.kind,
    status: 'skipped',
    measuredMs: null,
    deadlineMs: null,
    message: `not evaluated: the experiment ${journal.experiment} ended ${journal.status}${journal.error ? ` (${journal.error})` : ''}`,
  };
}
