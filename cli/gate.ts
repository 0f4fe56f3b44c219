import type { Command } from 'commander';
import { type ExitCode, UsageError } from '../core/errors.ts';
import type { Stage } from '../runner/stage.ts';
import {
  addCommonFlags,
  addHistoryFlag,
  addStageSelectionFlags,
  type CommonFlags,
  collect,
  loadCommandContext,
  parseKpiFlags,
  runStagesCommand,
  validateUsage,
} from './command-kit.ts';
import { resolveBaselineFlag } from './history.ts';

export interface GateFlags extends CommonFlags {
  kpi?: string[];
  only?: string[];
  skip?: string[];
  allowProduction?: boolean;
  confirmEnv?: string;
  baseline?: string;
}

export function registerGate(program: Command): void {
  const command = program
    .command('gate')
    .description(
      'pre-release gate: preflight, canaries, load against KPIs, chaos with assertions; one exit code',
    );
  addCommonFlags(command);
  addHistoryFlag(command);
  command.option('--kpi <expr>', "KPI override in k6 syntax, e.g. 'p(99)<800' (repeatable)", collect);
  addStageSelectionFlags(command);
  command.option(
    '--baseline <run>',
    'hold load to an earlier run: latest-passed, a run id (opsproof history) or a result.json; regressions are judged against the spread of recent passed runs',
  );
  command.option('--allow-production', 'allow chaos against a production environment');
  command.option('--confirm-env <name>', 'name the production environment (non-interactive runs)');
  command.action(async (flags: GateFlags) => {
    process.exitCode = await runGate(flags);
  });
}

export async function runGate(flags: GateFlags): Promise<ExitCode> {
  // The config first, with what the chosen stages would meet part-way (a mistyped FIS action id, a
  // canary file that exports no canary): every problem exits 2 together, before the stages are loaded.
  const { checkRun, runScopeOfGate } = await import('../runner/validate-run.ts');
  const context = await loadCommandContext(flags, { check: checkRun(runScopeOfGate(flags), flags.env) });
  // Loaded here, not at the top: the stages pull in Playwright, the AWS SDK and the engines, which
  // `opsproof --help` and the other commands do not need.
  const { gateStages } = await import('../runner/gate.ts');
  // Every bad --kpi and --only/--skip value is named in one usage error (exit 2) before the run.
  let stages: Stage[] = [];
  const kpis = parseKpiFlags(flags.kpi);
  validateUsage([
    ...kpis.checks,
    () => {
      stages = gateStages({
        only: flags.only,
        skip: flags.skip,
        ...(flags.confirmEnv ? { confirmEnv: flags.confirmEnv } : {}),
      });
    },
  ]);
  const profile = context.loaded.suite.load.default;
  validateUsage([
    () =>
      checkBaselineUsage(
        flags.baseline,
        profile,
        stages.map((s) => s.name),
      ),
  ]);
  const baselineReference =
    flags.baseline && profile
      ? await resolveBaselineFlag(flags.baseline, {
          profile,
          env: context.env.name,
          ...(flags.history ? { history: flags.history } : {}),
          loaded: context.loaded,
        })
      : undefined;
  return runStagesCommand({
    command: 'gate',
    stages,
    flags,
    context,
    options: {
      kpis: kpis.thresholds,
      allowProduction: flags.allowProduction === true,
      ...(baselineReference ? { baselineReference } : {}),
    },
  });
}

/**
 * `--baseline` compares the load stage's figures: without a default load profile, or with the load
 * stage left out, it would compare nothing, so it is a usage error rather than silently ignored.
 */
export function checkBaselineUsage(
  baseline: string | undefined,
  profile: string | undefined,
  stages: readonly string[],
): void {
  if (baseline === undefined) return;
  if (!profile) {
    throw new UsageError('--baseline compares the load stage, but the suite has no default load profile', {
      hint: 'set load.default in the config to the profile the gate runs',
    });
  }
  if (!stages.includes('load')) {
    throw new UsageError('--baseline compares the load stage, which --only/--skip leaves out', {
      hint: 'run the load stage, or drop --baseline',
    });
  }
}
