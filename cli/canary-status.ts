import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, notBuiltYet } from './command-kit.ts';

export type CanaryStatusFlags = CommonFlags;

export function registerCanaryStatus(canary: Command): void {
  const command = canary.command('status').description('deployed canaries and their last runs');
  addCommonFlags(command, { out: false });
  command.action(async (flags: CanaryStatusFlags) => {
    process.exitCode = await runCanaryStatus(flags);
  });
}

export async function runCanaryStatus(_flags: CanaryStatusFlags): Promise<ExitCode> {
  notBuiltYet('canary status');
}
