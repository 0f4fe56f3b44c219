import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, notBuiltYet } from './command-kit.ts';

export type AssertFlags = CommonFlags;

export function registerAssert(program: Command): void {
  const command = program
    .command('assert')
    .description('evaluate expectations (alarms, traces, logs, metrics) against the environment')
    .argument('[names...]', 'expectations to evaluate (default: all)');
  addCommonFlags(command);
  command.action(async (names: string[], flags: AssertFlags) => {
    process.exitCode = await runAssert(names, flags);
  });
}

export async function runAssert(_names: string[], _flags: AssertFlags): Promise<ExitCode> {
  notBuiltYet('assert');
}
