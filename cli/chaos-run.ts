import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { UsageError } from '../core/errors.ts';
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
  const { checkRun } = await import('../runner/validate-run.ts');
  const { loaded, env } = await loadCommandContext(flags, {
    check: checkRun({ experiments: [experimentArg] }, flags.env),
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
    options: { dryRun: flags.dryRun ?? false, allowProduction: flags.allowProduction ?? false },
  });
}
