import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, notBuiltYet } from './command-kit.ts';

export type LoadK6Flags = CommonFlags;

export function registerLoadK6(load: Command): void {
  const command = load
    .command('k6')
    .description('write a k6 script and a k6-operator TestRun manifest for a load profile')
    .argument('[name]', 'load profile from the config (default: load.default)');
  addCommonFlags(command, { json: false });
  command.action(async (name: string | undefined, flags: LoadK6Flags) => {
    process.exitCode = await runLoadK6(name, flags);
  });
}

export async function runLoadK6(_name: string | undefined, _flags: LoadK6Flags): Promise<ExitCode> {
  notBuiltYet('load k6');
}
