import type { Clock } from '../core/clock.ts';
import { UsageError } from '../core/errors.ts';
import type { Experiment } from '../core/schema.ts';
import type { Telemetry } from '../telemetry/port.ts';
import { alarmNameFromArn } from './fis-catalog.ts';

/** What the guard needs to decide whether chaos may run. */
export interface ChaosGuardInput {
  envName: string;
  env: { production: boolean; provider: 'embedded' | 'aws' };
  experimentName: string;
  experiment: Experiment;
  allowProduction: boolean;
  /** `--confirm-env <name>`: required with `--allow-production` when not interactive. */
  confirmEnv?: string | undefined;
  /** Whether a person is at the terminal (stdin is a TTY and CI is not set). */
  interactive: boolean;
}

/** Whether this process runs with a person at the terminal. */
export function isInteractive(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stdin.isTTY) && env.CI !== 'true' && env.CI !== '1';
}

/**
 * The one gate every chaos command goes through. Throws a {@link UsageError} (exit 2) when:
 * the environment is production and `--allow-production` is missing; it is production, nobody is at
 * the terminal and `--confirm-env` does not name it; or an FIS experiment without a stop condition
 * would run in production. Never prompts.
 */
export function guardChaos(input: ChaosGuardInput): void {
  if (!input.env.production) return;
  const what = `experiment ${input.experimentName} in production environment ${input.envName}`;
  guardProduction({ ...input, production: true, what: `run ${what}` });
  if (stopConditionAlarms(input.experiment).length === 0) {
    throw new UsageError(`refusing to run ${what}: it has no stop condition`, {
      hint: 'add stopConditions: [{ source: "aws:cloudwatch:alarm", value: "<alarm>" }]',
    });
  }
}

/**
 * The production confirmation every dangerous command shares (chaos, `opsproof deploy`): in a
 * production environment, `--allow-production` is required, and without a person at the terminal
 * `--confirm-env` must name the environment. Throws a {@link UsageError} (exit 2); never prompts.
 */
export function guardProduction(input: {
  envName: string;
  production: boolean;
  /** What is refused, e.g. `run experiment X in production environment prod`. */
  what: string;
  allowProduction: boolean;
  confirmEnv?: string | undefined;
  interactive: boolean;
}): void {
  if (!input.production) return;
  if (!input.allowProduction) {
    throw new UsageError(`refusing to ${input.what}`, {
      hint: `pass --allow-production${input.interactive ? '' : ` --confirm-env ${input.envName}`} if you mean it`,
    });
  }
  if (!input.interactive && input.confirmEnv !== input.envName) {
    throw new UsageError(`refusing to ${input.what} without confirmation`, {
      hint: `non-interactive runs must name the environment: --confirm-env ${input.envName}`,
    });
  }
}

/** {@link guardChaos} for each named experiment of a suite, in one environment. */
export function guardExperiments(input: {
  envName: string;
  env: ChaosGuardInput['env'];
  experiments: Record<string, Experiment>;
  names: readonly string[];
  allowProduction: boolean;
  confirmEnv?: string | undefined;
  interactive: boolean;
}): void {
  for (const name of input.names) {
    guardChaos({
      envName: input.envName,
      env: input.env,
      experimentName: name,
      experiment: input.experiments[name]!,
      allowProduction: input.allowProduction,
      confirmEnv: input.confirmEnv,
      interactive: input.interactive,
    });
  }
}

/** The alarm names of an experiment's stop conditions. */
export function stopConditionAlarms(experiment: Experiment): string[] {
  return experiment.stopConditions
    .filter((c) => c.source === 'aws:cloudwatch:alarm' && c.value)
    .map((c) => alarmNameFromArn(c.value!));
}

/**
 * Watches stop-condition alarms through the telemetry port and calls `onStop(alarm)` once, the first
 * time one is in ALARM. Polls every `intervalMs` (and listens for pushed changes where the provider
 * can push). Returns the stop function.
 */
export function watchStopConditions(options: {
  alarms: readonly string[];
  telemetry: Telemetry;
  clock: Clock;
  onStop: (alarm: string) => void;
  intervalMs?: number;
  signal?: AbortSignal;
}): () => void {
  if (options.alarms.length === 0) return () => {};
  const stopper = new AbortController();
  const signal = options.signal ? AbortSignal.any([stopper.signal, options.signal]) : stopper.signal;
  let fired = false;
  const fire = (alarm: string) => {
    if (fired || signal.aborted) return;
    fired = true;
    stopper.abort();
    options.onStop(alarm);
  };
  const unsubscribe = options.telemetry.onAlarmStateChange?.((change) => {
    if (change.newState === 'ALARM' && options.alarms.includes(change.alarmName)) fire(change.alarmName);
  });
  void (async () => {
    while (!signal.aborted) {
      for (const alarm of options.alarms) {
        const state = await options.telemetry.getAlarmState(alarm).catch(() => undefined);
        if (state === 'ALARM') return fire(alarm);
      }
      await options.clock.sleep(options.intervalMs ?? 500, signal).catch(() => {});
    }
  })();
  return () => {
    stopper.abort();
    unsubscribe?.();
  };
}

/** Alarms among the stop conditions that are in ALARM now (an experiment must not start then). */
export async function findFiringStopConditions(
  alarms: readonly string[],
  telemetry: Telemetry,
): Promise<string[]> {
  const states = await Promise.all(alarms.map((a) => telemetry.getAlarmState(a).catch(() => undefined)));
  return alarms.filter((_, i) => states[i] === 'ALARM');
}
