import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, collect, notBuiltYet } from './command-kit.ts';

export interface CanaryWatchFlags extends CommonFlags {
  every: string;
  url?: string;
  file?: string[];
}

export function registerCanaryWatch(canary: Command): void {
  const command = canary
    .command('watch')
    .description('run canaries on a schedule (local stand-in for Synthetics) until Ctrl-C')
    .argument('[names...]', 'canaries to run (default: all)');
  addCommonFlags(command);
  command
    .option('--every <duration>', 'interval between runs', '5m')
    .option('--url <url>', 'base URL to run against instead of the environment target')
    .option('--file <file>', 'canary file (*.canary.ts) outside the config (repeatable)', collect)
    .action(async (names: string[], flags: CanaryWatchFlags) => {
      process.exitCode = await runCanaryWatch(names, flags);
    });
}

export async function runCanaryWatch(_names: string[], _flags: CanaryWatchFlags): Promise<ExitCode> {
  notBuiltYet('canary watch');
}
