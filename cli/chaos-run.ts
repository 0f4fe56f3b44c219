import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, notBuiltYet } from './command-kit.ts';

export interface ChaosRunFlags extends CommonFlags {
  dryRun?: boolean;
  allowProduction?: boolean;
}

export function registerChaosRun(chaos: Command): void {
  const command = chaos
    .command('run')
    .description('run a chaos experiment (local fault gateway, or AWS FIS) with its expectations')
    .argument('<experiment>', 'experiment from the config (experiments.<name>)');
  addCommonFlags(command);
  command
    .option('--dry-run', 'print what would be injected, inject nothing')
    .option('--allow-production', 'allow the experiment against a production environment')
    .action(async (experiment: string, flags: ChaosRunFlags) => {
      process.exitCode = await runChaosRun(experiment, flags);
    });
}

export async function runChaosRun(_experiment: string, _flags: ChaosRunFlags): Promise<ExitCode> {
  notBuiltYet('chaos run');
}
