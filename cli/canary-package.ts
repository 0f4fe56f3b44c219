import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, notBuiltYet } from './command-kit.ts';

export type CanaryPackageFlags = CommonFlags;

export function registerCanaryPackage(canary: Command): void {
  const command = canary
    .command('package')
    .description('bundle canaries into zips for CloudWatch Synthetics');
  addCommonFlags(command);
  command.action(async (flags: CanaryPackageFlags) => {
    process.exitCode = await runCanaryPackage(flags);
  });
}

export async function runCanaryPackage(_flags: CanaryPackageFlags): Promise<ExitCode> {
  notBuiltYet('canary package');
}
