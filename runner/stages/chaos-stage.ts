import { evaluateExpectations, formatExpectationThreshold } from '../../assertions/evaluate-expectation.ts';
import { steadyStateOf, waitForSteadyState } from '../../assertions/wait-for-steady-state.ts';
import { buildLocalPlan } from '../../chaos/build-local-plan.ts';
import {
  createControlApiController,
  createInProcessController,
  type FaultController,
} from '../../chaos/fault-controller.ts';
import { type FaultGateway, startFaultGateway } from '../../chaos/fault-gateway.ts';
import { guardExperiments, isInteractive } from '../../chaos/guard.ts';
import { runFisExperiment } from '../../chaos/run-fis-experiment.ts';
import { runLocalExperiment } from '../../chaos/run-local-experiment.ts';
import { parseDuration } from '../../core/duration.ts';
import { describeError, UsageError } from '../../core/errors.ts';
import type { Check, CheckStatus, ExpectationResult, ExperimentJournal } from '../../core/run-result.ts';
import type { Expectation, Experiment } from '../../core/schema.ts';
import { runLoad } from '../../load/run-load.ts';
import type { RunContext, Stage, StageOutcome } from '../stage.ts';
import { resolveStageTarget } from '../targets.ts';
import { withRunbooks } from './assertions-stage.ts';
import { fisRunOptions } from './fis-run-options.ts';

export interface ChaosStageOptions {
  /** Experiments to run (default: every experiment of the suite, in order). */
  experiments?: string[];
  /** `--confirm-env`: names the production environment for non-interactive runs. */
  confirmEnv?: string;
  /** Control API of an already running fault gateway to use instead of starting one. */
  gatewayControlUrl?: string;
  /** Whether a person is at the terminal. @defaultValue stdin is a TTY and CI is unset */
  interactive?: boolean;
  /** FIS polling interval. */
  fisPollMs?: number;
  /** Experiments from outside the config (FIS template files), by name. */
  extraExperiments?: Record<string, Experiment>;
}

function experimentCheck(journal: ExperimentJournal, experiment: Experiment): Check {
  let status: CheckStatus;
  let message: string;
  if (journal.dryRun) {
    status = 'skipped';
    message = `${journal.activities.map((a) => a.output ?? a.name).join('; ')}`;
  } else if (journal.status === 'completed') {
    status = journal.deviated ? 'failed' : 'passed';
    message = journal.deviated
      ? 'the experiment ran, but an expectation did not hold'
      : `completed: ${journal.activities.map((a) => a.output ?? a.name).join('; ')}`;
  } else if (journal.status === 'interrupted') {
    status = 'error';
    message = 'interrupted; every fault was cleared';
  } else if (journal.status === 'aborted') {
    status = 'failed';
    message = `stopped by stop condition ${journal.stoppedBy ?? '(unknown)'}: ${journal.error ?? ''}`.trim();
  } else {
    status = 'failed';
    message = journal.error ?? 'failed';
  }
  return {
    id: `experiment:${journal.experiment}`,
    kind: 'experiment',
    name: `experiment ${journal.experiment}${experiment.description ? ` (${experiment.description})` : ''}`,
    status,
    measured: journal.status,
    threshold: 'completed',
    message,
    stage: 'chaos',
  };
}

function expectationCheck(result: ExpectationResult, experiment: string, index: number): Check {
  return {
    id: `expectation:${experiment}:${index}:${result.kind}`,
    kind: 'expectation',
    name: `${experiment}: ${result.name}`,
    status: result.status,
    measured: result.measuredMs,
    threshold: formatExpectationThreshold(result),
    unit: 'ms',
    message: result.message,
    stage: 'chaos',
    ...(result.runbook === undefined ? {} : { runbook: result.runbook }),
    ...(result.evidence ? { evidence: result.evidence } : {}),
  };
}

/**
 * The gate's chaos stage: runs each experiment (local fault gateway on the embedded provider, AWS FIS
 * on aws) through the chaos guard, with its load profile running during the fault and its
 * expectations evaluated against the timeline and telemetry, and returns the journals, expectation
 * results and checks.
 */
export function createChaosStage(options: ChaosStageOptions = {}): Stage {
  return {
    name: 'chaos',
    async run(context: RunContext): Promise<StageOutcome> {
      const suite = options.extraExperiments
        ? {
            ...context.loaded.suite,
            experiments: { ...context.loaded.suite.experiments, ...options.extraExperiments },
          }
        : context.loaded.suite;
      const names = options.experiments ?? Object.keys(suite.experiments);
      if (names.length === 0) return { skipped: 'the suite defines no experiments' };
      for (const name of names) {
        if (!suite.experiments[name]) {
          throw new UsageError(`unknown experiment "${name}"`, {
            hint: `experiments in the config: ${Object.keys(suite.experiments).join(', ') || '(none)'}`,
          });
        }
      }
      guardExperiments({
        envName: context.env.name,
        env: context.env,
        experiments: suite.experiments,
        names,
        allowProduction: context.options.allowProduction,
        confirmEnv: options.confirmEnv,
        interactive: options.interactive ?? isInteractive(),
      });

      const experiments: ExperimentJournal[] = [];
      const expectations: ExpectationResult[] = [];
      const checks: Check[] = [];
      const live = !context.options.dryRun;
      let gateway: FaultGateway | undefined;
      try {
        for (const name of names) {
          if (context.signal.aborted) break;
          const experiment = suite.experiments[name]!;
          const engine = context.env.provider === 'aws' ? 'fis' : 'local';

          // Where faults go and where load is sent.
          let faults: FaultController | undefined;
          // The experiment's named target (`localTarget`): its gateway takes the faults, its process the process faults.
          const chosen = context.env.targets
            ? resolveStageTarget(context, experiment.localTarget)
            : { name: undefined, url: context.targetUrl, target: context.target };
          let loadTarget = chosen.url;
          if (engine === 'local') {
            const needsGateway = buildLocalPlan(name, experiment).some((s) => s.effect.kind === 'fault');
            if (options.gatewayControlUrl) faults = createControlApiController(options.gatewayControlUrl);
            else if (chosen.target?.controlUrl)
              faults = createControlApiController(chosen.target.controlUrl, chosen.url);
            else if (needsGateway) {
              gateway ??= await startFaultGateway({
                upstream: chosen.target?.directUrl ?? chosen.url,
                telemetry: context.telemetry,
                apiName: suite.service,
                clock: context.clock,
              });
              faults = createInProcessController(gateway);
              loadTarget = gateway.url;
            }
          }

          const stopLoad = new AbortController();
          const loadSignal = AbortSignal.any([context.signal, stopLoad.signal]);
          const profile = experiment.load ? suite.load.profiles[experiment.load] : undefined;
          if (experiment.load && !profile && !context.options.dryRun) {
            context.timeline.emit({
              type: 'progress',
              stage: 'chaos',
              level: 'warn',
              message: `experiment ${name}: load profile "${experiment.load}" is not defined; running without load`,
            });
          }
          const loading =
            live && profile
              ? runLoad(profile, {
                  target: loadTarget,
                  timeline: context.timeline,
                  signal: loadSignal,
                  ...(experiment.load ? { name: experiment.load } : {}),
                }).catch((error: unknown) => {
                  if (!loadSignal.aborted)
                    context.timeline.emit({
                      type: 'progress',
                      stage: 'chaos',
                      level: 'warn',
                      message: `experiment ${name}: load failed: ${describeError(error)}`,
                    });
                })
              : undefined;
          if (loading && profile?.warmup) {
            await context.clock.sleep(parseDuration(profile.warmup) ?? 0, context.signal).catch(() => {});
          }
          // Steady state first: a fault injected while its alarms are not OK proves nothing.
          const steadyState = steadyStateOf(experiment.expect);
          if (live && steadyState.alarms.length > 0) {
            const startedAt = context.clock.wall();
            const steady = await waitForSteadyState(steadyState.alarms, {
              telemetry: context.telemetry,
              clock: context.clock,
              signal: context.signal,
              timeoutMs: steadyState.timeoutMs,
            });
            if (!steady.met) {
              stopLoad.abort();
              await loading;
              const endedAt = context.clock.wall();
              const journal: ExperimentJournal = {
                experiment: name,
                engine,
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
                stage: 'chaos',
                level: 'warn',
                message: `experiment ${name}: ${journal.error}`,
              });
              experiments.push(journal);
              checks.push(experimentCheck(journal, experiment));
              continue;
            }
          }
          // Expectations anchored on the start are watched from now; those anchored on the end of the
          // fault start once the experiment ended, so their anchor is this experiment's last event.
          const evaluate = (list: Expectation[]) =>
            evaluateExpectations(list, {
              timeline: context.timeline,
              telemetry: context.telemetry,
              clock: context.clock,
              signal: context.signal,
              experiment: name,
              alarms: suite.alarms,
              timeScale: context.env.timeScale,
            });
          const isLate = (e: Expectation) =>
            'after' in e && (e.after === 'fault.end' || e.after === 'experiment.end');
          const early = experiment.expect.filter((e) => !isLate(e));
          const late = experiment.expect.filter(isLate);
          const expecting = live && early.length > 0 ? evaluate(early) : undefined;
          // Awaited only after the experiment; an interrupt rejects it long before, and an unhandled
          // rejection would end the process before the experiment has cleared its faults.
          expecting?.catch(() => {});

          let journal: ExperimentJournal;
          try {
            journal =
              engine === 'fis'
                ? await runFisExperiment(name, experiment, {
                    ...fisRunOptions(context),
                    ...(options.fisPollMs ? { pollMs: options.fisPollMs } : {}),
                  })
                : await runLocalExperiment(name, experiment, {
                    ...(faults ? { faults } : {}),
                    ...(chosen.target?.process ? { process: chosen.target.process } : {}),
                    telemetry: context.telemetry,
                    timeline: context.timeline,
                    clock: context.clock,
                    signal: context.signal,
                    dryRun: context.options.dryRun,
                  });
          } finally {
            if (!expecting && late.length === 0) stopLoad.abort();
          }

          const expectationChecks: Check[] = [];
          if (live && experiment.expect.length > 0 && journal.status === 'completed') {
            const lateResults = late.length > 0 ? evaluate(late) : Promise.resolve([]);
            const results = await Promise.all([expecting ?? Promise.resolve([]), lateResults])
              .then(([a, b]) => [...a, ...b])
              .catch((error: unknown): ExpectationResult[] => [
                {
                  name: 'expectations',
                  kind: 'error',
                  status: context.signal.aborted ? 'skipped' : 'error',
                  measuredMs: null,
                  deadlineMs: null,
                  message: describeError(error),
                  experiment: name,
                },
              ]);
            for (const [i, result] of withRunbooks(results, context.loaded.dir).entries()) {
              const tagged = { ...result, experiment: name };
              expectations.push(tagged);
              expectationChecks.push(expectationCheck(tagged, name, i));
            }
            journal = {
              ...journal,
              deviated: results.some((r) => r.status === 'failed' || r.status === 'error'),
            };
          }
          stopLoad.abort();
          await loading;
          experiments.push(chosen.name === undefined ? journal : { ...journal, targetName: chosen.name });
          checks.push(experimentCheck(journal, experiment), ...expectationChecks);
        }
      } finally {
        await gateway?.close();
      }
      return { experiments, expectations, checks };
    },
  };
}

/** The gate's chaos stage over every experiment of the suite. */
export const chaosStage: Stage = createChaosStage();
