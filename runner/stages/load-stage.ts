import { UsageError } from '../../core/errors.ts';
import type { LoadProfile } from '../../core/schema.ts';
import { evaluateBaseline, evaluateBaselineReference, loadBaseline } from '../../load/evaluate-baseline.ts';
import { buildKpiThresholds, evaluateKpis } from '../../load/evaluate-kpis.ts';
import { LoadInterruptedError } from '../../load/load-interrupted-error.ts';
import { runLoad } from '../../load/run-load.ts';
import { plainHeaders } from '../plain-headers.ts';
import { type RunContext, type Stage, StageInterruptedError, type StageOutcome } from '../stage.ts';
import { resolveStageTarget } from '../targets.ts';

export interface LoadStageOptions {
  /** Profile name in the config. @defaultValue the suite's `load.default` */
  profileName?: string;
  /** An ad-hoc profile (`opsproof load run --rate …`), instead of one from the config. */
  profile?: LoadProfile;
  /** Engine override (`--engine`). */
  engine?: string;
  /** Target override (`--url`). @defaultValue context.targetUrl */
  url?: string;
}

/**
 * The gate's load stage: runs a load profile against the target and holds it to the KPIs — the
 * suite's, the environment's, the profile's thresholds and `--kpi` overrides, in that order — and,
 * with `--baseline`, to an earlier run.
 */
export function createLoadStage(options: LoadStageOptions = {}): Stage {
  return {
    name: 'load',
    async run(context: RunContext): Promise<StageOutcome> {
      const { suite } = context.loaded;
      const name = options.profileName ?? (options.profile ? 'adhoc' : suite.load.default);
      if (!name) return { skipped: 'no load profile: set load.default in the config' };
      const profile = options.profile ?? suite.load.profiles[name];
      if (!profile) {
        const known = Object.keys(suite.load.profiles);
        throw new UsageError(`no load profile "${name}"`, {
          hint: known.length ? `profiles: ${known.join(', ')}` : 'define one under load.profiles',
        });
      }
      const thresholds = buildKpiThresholds(
        suite.kpis,
        context.env.kpis,
        profile.thresholds,
        context.options.kpis,
      );
      const headers = plainHeaders(context.env);
      // The profile's named target (through its own gateway); `--url` overrides.
      const named = context.env.targets !== undefined && options.url === undefined;
      const stageTarget = named ? resolveStageTarget(context, profile.target) : undefined;
      const measured = await runLoad(profile, {
        target: options.url ?? stageTarget?.url ?? context.targetUrl,
        timeline: context.timeline,
        signal: context.signal,
        ...(options.engine ? { engine: options.engine } : {}),
        headers,
        name,
        thresholds,
        workDir: context.outDir,
      }).catch((error: unknown) => {
        // Cut short by Ctrl-C: report what was measured, but hold no KPI to a window that was not run.
        throw error instanceof LoadInterruptedError
          ? new StageInterruptedError(error.cause, { load: error.partial })
          : error;
      });
      const configuredUrl =
        stageTarget?.name === undefined ? undefined : context.env.targets?.[stageTarget.name]?.url;
      const summary =
        stageTarget?.name === undefined
          ? measured
          : {
              ...measured,
              targetName: stageTarget.name,
              // Reports name a running target by its own URL, not its gateway's (as run.ts does for `target`).
              ...(stageTarget.target && !stageTarget.target.process && configuredUrl
                ? { target: configuredUrl }
                : {}),
            };
      const checks = evaluateKpis(thresholds, summary);
      if (context.options.baselineReference) {
        checks.push(...evaluateBaselineReference(summary, context.options.baselineReference));
      } else if (context.options.baseline) {
        checks.push(...evaluateBaseline(summary, await loadBaseline(context.options.baseline)));
      }
      const engine = options.engine ?? profile.engine;
      return {
        load: summary,
        checks,
        ...(engine === 'k6'
          ? { artifacts: [{ name: `${name}.k6.ts`, path: `${name}.k6.ts`, kind: 'script' as const }] }
          : {}),
      };
    },
  };
}
