import { loadCanaries } from '../../canaries/load-canaries.ts';
import { runCanariesPerTarget } from '../../canaries/run-canaries-per-target.ts';
import type { CanaryRunResult, Check } from '../../core/run-result.ts';
import { plainHeaders } from '../plain-headers.ts';
import type { Stage, StageOutcome } from '../stage.ts';
import { resolveStageTarget } from '../targets.ts';

export interface CanaryStageOptions {
  /** `canaries` before load, `canaries-after` after chaos. @defaultValue 'canaries' */
  name?: 'canaries' | 'canaries-after';
  /** Only these canaries. */
  names?: readonly string[];
  /** Canary files (relative to the working directory) instead of the config's `canaries.files`. */
  files?: readonly string[];
  /** Run against this URL instead of the run's target (`canary run --url`). */
  baseUrl?: string;
}

/** One check per canary: its verdict, its duration, and the failed step's reason. */
export function buildCanaryChecks(
  results: readonly CanaryRunResult[],
  stage: 'canaries' | 'canaries-after',
): Check[] {
  const prefix = stage === 'canaries' ? 'canary' : 'canary-after';
  // The same canary runs before and after chaos: every report names the second run apart.
  const suffix = stage === 'canaries' ? '' : ' (after chaos)';
  return results.map((result) => {
    const passedSteps = result.steps.filter((s) => s.status === 'passed').length;
    const retried = result.attempts > 1 ? ` after ${result.attempts} attempts` : '';
    return {
      id: `${prefix}:${result.name}`,
      kind: 'canary',
      name: `canary ${result.name}${suffix}`,
      status: result.status,
      measured: result.durationMs,
      threshold: null,
      unit: 'ms',
      message:
        result.status === 'passed'
          ? `${passedSteps} step${passedSteps === 1 ? '' : 's'} passed in ${result.durationMs} ms${retried}`
          : `canary ${result.name}${suffix} failed${retried}: ${result.error ?? 'unknown reason'}`,
      stage,
    };
  });
}

/**
 * The gate's canary stage: runs the suite's canaries against the run's target (through the fault
 * gateway when one runs). The gate uses it twice: `createCanaryStage()` before load and
 * `createCanaryStage({ name: 'canaries-after' })` after chaos.
 */
export function createCanaryStage(options: CanaryStageOptions = {}): Stage {
  const name = options.name ?? 'canaries';
  return {
    name,
    async run(context): Promise<StageOutcome> {
      const loaded = await loadCanaries(context.loaded, {
        ...(options.names ? { names: options.names } : {}),
        ...(options.files ? { files: options.files } : {}),
      });
      if (loaded.canaries.length === 0 && loaded.failures.length === 0) {
        return { skipped: 'no canaries (canaries.files matched no file)' };
      }
      // Canaries naming a target run against it; `--url` sends them all to one URL.
      const named = context.env.targets !== undefined && options.baseUrl === undefined;
      const { canaries, artifacts } = await runCanariesPerTarget({
        canaries: loaded.canaries,
        failures: loaded.failures,
        targetOf: (target) => {
          if (!named) return { url: options.baseUrl ?? context.targetUrl };
          const stageTarget = resolveStageTarget(context, target);
          return { url: stageTarget.url, name: stageTarget.name };
        },
        env: context.env.name,
        config: context.loaded.suite.canaries,
        timeline: context.timeline,
        telemetry: context.telemetry,
        outDir: context.outDir,
        stage: name,
        signal: context.signal,
        ...(context.env.headers ? { headers: plainHeaders(context.env) } : {}),
        ...(context.options.redact ? { redact: context.options.redact } : {}),
      });
      return { canaries, artifacts, checks: buildCanaryChecks(canaries, name) };
    },
  };
}

/** Headers without secret references: resolving `${secret:NAME}` belongs to the environment loader. */
