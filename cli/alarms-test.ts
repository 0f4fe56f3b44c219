import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, notBuiltYet } from './command-kit.ts';

export type AlarmsTestFlags = Omit<CommonFlags, 'env'>;

export function registerAlarmsTest(alarms: Command): void {
  const command = alarms
    .command('test')
    .description('offline alarm unit tests (promtool-style YAML/JSON files)')
    .argument('<files...>', 'test files');
  addCommonFlags(command, { env: false, config: false });
  command.action(async (files: string[], flags: AlarmsTestFlags) => {
    process.exitCode = await runAlarmsTest(files, flags);
  });
}

export async function runAlarmsTest(_files: string[], _flags: AlarmsTestFlags): Promise<ExitCode> {
  notBuiltYet('alarms test');
}
