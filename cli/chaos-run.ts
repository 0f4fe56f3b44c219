import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { ConfigError, UsageError } from '../core/errors.ts';
import type { LoadedSuite, ResolvedEnvironment } from '../core/load-config.ts';
import type { Experiment } from '../core/schema.ts';
import {
  addCommonFlags,
  addHistoryFlag,
  type CommonFlags,
  loadCommandContext,
  printHuman,
  runStagesCommand,
} from './command-kit.ts';

export interface ChaosRunFlags extends CommonFlags {
  dryRun?: boolean;
  allowProduction?: boolean;
  confirmEnv?: string;
  gatewayControl?: string;
}

export function registerChaosRun(chaos: Command): void {
  const command = chaos
    .command('run')
    .description('run a chaos experiment (local fault gateway, or AWS FIS) with its expectations')
    .argument(
      '<experiment>',
      'experiment from the config (experiments.<name>), or an FIS template .json file',
    );
  addCommonFlags(command);
  addHistoryFlag(command);
  command
    .option('--dry-run', 'print what would be injected, inject nothing')
    .option('--allow-production', 'allow the experiment against a production environment')
    .option('--confirm-env <name>', 'non-interactive runs in production must name the environment here')
    .option('--gateway-control <url>', 'control API of a running `opsproof chaos gateway` to inject through')
    .action(async (experiment: string, flags: ChaosRunFlags) => {
      process.exitCode = await runChaosRun(experiment, flags);
    });
}

export async function runChaosRun(experimentArg: string, flags: ChaosRunFlags): Promise<ExitCode> {
  // An experiment of the config that would fail part-way (a mistyped action id) exits 2 with the
  // config's other problems, before anything runs.
  // A dry run lists the actions the embedded provider refuses with its plan (below) instead.
  const dryRun = flags.dryRun ?? false;
  const { checkRun } = await import('../runner/validate-run.ts');
  const { loaded, env } = await loadCommandContext(flags, {
    check: checkRun({ experiments: [experimentArg] }, flags.env, {
      dryRun,
      gatewayControl: flags.gatewayControl !== undefined,
    }),
  });
  const [{ guardChaos, isInteractive }, { loadFisTemplate }, { createChaosStage }] = await Promise.all([
    import('../chaos/guard.ts'),
    import('../chaos/load-fis-template.ts'),
    import('../runner/stages/chaos-stage.ts'),
  ]);
  let name = experimentArg;
  let experiment: Experiment | undefined = loaded.suite.experiments[experimentArg];
  let extra: Record<string, Experiment> | undefined;
  if (!experiment && experimentArg.endsWith('.json') && existsSync(resolve(experimentArg))) {
    name = basename(experimentArg, '.json');
    // On aws the template meets FIS's own bounds here (exit 2), not when FIS refuses it.
    const template = await loadFisTemplate(resolve(experimentArg), name, {
      engine: env.provider === 'aws' ? 'fis' : 'any',
    });
    for (const warning of template.warnings) printHuman(`warning: ${warning.path}: ${warning.message}`);
    experiment = template.experiment;
    extra = { [name]: experiment };
  }
  if (!experiment) {
    throw new UsageError(`unknown experiment "${experimentArg}"`, {
      hint: `experiments in the config: ${Object.keys(loaded.suite.experiments).join(', ') || '(none)'}, or pass an FIS template .json file`,
    });
  }
  // The guard runs here too, so a refusal is a usage error (exit 2) before anything starts.
  guardChaos({
    envName: env.name,
    env,
    experimentName: name,
    experiment,
    allowProduction: flags.allowProduction ?? false,
    confirmEnv: flags.confirmEnv,
    interactive: isInteractive(),
  });
  if (env.provider === 'embedded')
    await checkLocalPlan(name, experiment, {
      suite: loaded.suite,
      env,
      dryRun,
      path: extra ? 'template' : undefined,
    });
  return runStagesCommand({
    command: `chaos run ${name}`,
    stages: [
      createChaosStage({
        experiments: [name],
        ...(extra ? { extraExperiments: extra } : {}),
        ...(flags.confirmEnv ? { confirmEnv: flags.confirmEnv } : {}),
        ...(flags.gatewayControl ? { gatewayControlUrl: flags.gatewayControl } : {}),
      }),
    ],
    flags,
    context: { loaded, env },
    options: { dryRun, allowProduction: flags.allowProduction ?? false },
  });
}

/**
 * The embedded provider's plan of the experiment, before anything starts: a dry run prints it action
 * by action (its local effect, its stand-in, or why it cannot run here), and any action that cannot
 * run, or acts on a process opsproof does not start, is a config error (exit 2) naming each. A
 * config experiment met these checks when the config loaded, except a dry run's refusals; a
 * template file meets them here.
 */
async function checkLocalPlan(
  name: string,
  experiment: Experiment,
  run: { suite: LoadedSuite['suite']; env: ResolvedEnvironment; dryRun: boolean; path: string | undefined },
): Promise<void> {
  const { suite, env, dryRun, path } = run;
  const [
    { formatLocalPlan, planLocalExperiment, refusalDiagnostics },
    { defaultTargetName, listTargets },
    { validateProcessTargets },
  ] = await Promise.all([
    import('../chaos/build-local-plan.ts'),
    import('../runner/targets.ts'),
    import('../runner/validate-run.ts'),
  ]);
  const targets = listTargets(env);
  const defaultTarget = defaultTargetName(env);
  const plan = planLocalExperiment(name, experiment, {
    ...(defaultTarget ? { defaultTarget } : {}),
    ...(path ? { path } : {}),
  });
  if (dryRun) {
    const faultTarget = experiment.localTarget ?? defaultTarget;
    const target = targets.find((t) => t.name === faultTarget) ?? targets.find((t) => t.isDefault);
    const where = `the fault gateway in front of ${describeTarget(faultTarget, target?.url ?? env.target, target?.start !== undefined || (target?.name === undefined && env.demo))}`;
    printHuman(`dry run of ${name} on the embedded provider, action by action:`);
    for (const line of formatLocalPlan(plan.entries, where)) printHuman(`  ${line}`);
  }
  const problems = [
    ...plan.errors,
    ...refusalDiagnostics(plan.refused),
    ...validateProcessTargets(suite, name, experiment, env.name, path),
  ];
  if (problems.length === 0) return;
  const refused = plan.refused.map((r) => `${r.action} (${r.actionId})`);
  throw new ConfigError(
    refused.length > 0
      ? `experiment ${name} cannot run on the embedded provider: ${refused.join(', ')} ${refused.length === 1 ? 'has' : 'have'} no local effect`
      : `experiment ${name} cannot run on the embedded provider`,
    problems,
    {
      hint: 'give an action a local stand-in (local: { fault: SPEC } | { process, target } | { run, undo }), or run the experiment on the aws provider',
    },
  );
}

/** A target as a dry run names it: a started one on port 0 gets its port only when the run starts. */
export function describeTarget(name: string | undefined, url: string, started: boolean): string {
  if (!(started && /:0(\/|$)/.test(url))) return name ? `${name} (${url})` : url;
  return `${name ?? 'the target'} (started by opsproof on a free port)`;
}
