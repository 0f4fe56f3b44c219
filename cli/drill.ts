import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, notBuiltYet } from './command-kit.ts';

export interface DrillFlags extends CommonFlags {
  allowProduction?: boolean;
  dryRun?: boolean;
}

export function registerDrill(program: Command): void {
  const command = program
    .command('drill')
    .description('run an alert or DR drill: time to detect, alarm, recover; post-incident report')
    .argument('<name>', 'drill from the config (drills.<name>)');
  addCommonFlags(command);
  command.option('--dry-run', 'print the plan without injecting faults');
  command.option('--allow-production', 'allow the drill against a production environment');
  command.action(async (name: string, flags: DrillFlags) => {
    process.exitCode = await runDrill(name, flags);
  });
}

export async function runDrill(_name: string, _flags: DrillFlags): Promise<ExitCode> {
  notBuiltYet('drill');
}
