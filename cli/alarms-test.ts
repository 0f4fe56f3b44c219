import type { Command } from 'commander';
import type { AlarmTestResult } from '../assertions/alarm-tests/run-alarm-tests.ts';
import { EXIT, type ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, printHuman } from './command-kit.ts';

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

export async function runAlarmsTest(files: string[], flags: AlarmsTestFlags): Promise<ExitCode> {
  const [{ loadAlarmTestFile }, { formatAlarmTestReport, runAlarmTestFile }] = await Promise.all([
    import('../assertions/alarm-tests/load-alarm-tests.ts'),
    import('../assertions/alarm-tests/run-alarm-tests.ts'),
  ]);
  // Every file is loaded first: a malformed one stops the command (exit 2) before anything runs.
  const loaded = [];
  for (const file of files) loaded.push(await loadAlarmTestFile(file));
  const results: AlarmTestResult[] = loaded.flatMap((file) => runAlarmTestFile(file));
  printHuman(formatAlarmTestReport(results));
  if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return results.every((r) => r.passed) ? EXIT.passed : EXIT.failed;
}
