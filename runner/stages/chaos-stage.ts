import { formatExpectationThreshold } from '../../assertions/evaluate-expectation.ts';
import { guardExperiments, isInteractive } from '../../chaos/guard.ts';
import { UsageError } from '../../core/errors.ts';
import type { Check, ExpectationResult, ExperimentJournal } from '../../core/run-result.ts';
import type { Experiment } from '../../core/schema.ts';
import { buildExperimentCheck } from '../build-experiment-check.ts';
import { createExperimentGateways, runExperimentUnderLoad } from '../run-experiment-under-load.ts';
import type { RunContext, Stage, StageOutcome } from '../stage.ts';

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
      const gateways = createExperimentGateways(context, options.gatewayControlUrl);
      try {
        for (const name of names) {
          if (context.signal.aborted) break;
          const experiment = suite.experiments[name]!;
          const run = await runExperimentUnderLoad(
            context,
            {
              name,
              experiment,
              stage: 'chaos',
              ...(options.fisPollMs ? { fisPollMs: options.fisPollMs } : {}),
            },
            gateways,
          );
          experiments.push(run.journal);
          expectations.push(...run.expectations);
          checks.push(
            buildExperimentCheck(run.journal, experiment, { id: `experiment:${name}`, stage: 'chaos' }),
            ...run.expectations.map((result, i) => expectationCheck(result, name, i)),
          );
        }
      } finally {
        await gateways.close();
      }
      return { experiments, expectations, checks };
    },
  };
}
