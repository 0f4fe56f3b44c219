import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, type ExitCode } from '../core/errors.ts';
import { addCommonFlags, type CommonFlags, prepareRunDir, printHuman } from './command-kit.ts';

export type AlarmsTestFlags = Omit<CommonFlags, 'env'> & { requireCoverage?: boolean };

export function registerAlarmsTest(alarms: Command): void {
  const command = alarms
    .command('test')
    .description('offline alarm unit tests (promtool-style YAML/JSON files)')
    .argument('<files...>', 'test files')
    .option('--require-coverage', 'fail when an alarm of the loaded templates is named by no test');
  addCommonFlags(command, { env: false, config: false });
  command.action(async (files: string[], flags: AlarmsTestFlags) => {
    process.exitCode = await runAlarmsTest(files, flags);
  });
}

export async function runAlarmsTest(files: string[], flags: AlarmsTestFlags): Promise<ExitCode> {
  const [
    { loadAlarmTestFile },
    { formatAlarmTestReport, runAlarmTestFile },
    { buildAlarmCoverage, buildAlarmTestResult },
    { createRunId },
    { buildJson },
    { buildJunit },
    { buildMarkdown },
    { writeReport },
  ] = await Promise.all([
    import('../assertions/alarm-tests/load-alarm-tests.ts'),
    import('../assertions/alarm-tests/run-alarm-tests.ts'),
    import('../assertions/alarm-tests/build-alarm-test-result.ts'),
    import('../runner/run.ts'),
    import('../reports/build-json.ts'),
    import('../reports/build-junit.ts'),
    import('../reports/build-markdown.ts'),
    import('../reports/write-report.ts'),
  ]);
  const startedAt = new Date();
  // Every file is loaded first: a malformed one stops the command (exit 2) before anything runs.
  const loaded = [];
  for (const file of files) loaded.push(await loadAlarmTestFile(nameFromWorkingDir(file)));
  const results = loaded.flatMap((file) => runAlarmTestFile(file));
  const coverage = buildAlarmCoverage(loaded);
  const result = buildAlarmTestResult({
    runId: createRunId(startedAt),
    version: (
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version,
    startedAt,
    endedAt: new Date(),
    results,
    coverage,
    requireCoverage: flags.requireCoverage ?? false,
  });
  const outDir = prepareRunDir(result.runId, flags.out);
  writeReport(outDir, 'result.json', buildJson(result));
  writeReport(outDir, 'junit.xml', buildJunit(result));
  writeReport(outDir, 'summary.md', buildMarkdown(result));

  const lines = [formatAlarmTestReport(results)];
  if (coverage.templateAlarms.length > 0) {
    lines.push(
      `coverage: ${coverage.tested.length}/${coverage.templateAlarms.length} template alarms named by a test`,
    );
    for (const u of coverage.untested) {
      lines.push(`  not tested: ${u.alarm} (${u.template})${u.unsupported ? `: ${u.unsupported}` : ''}`);
    }
  }
  lines.push(`reports: ${outDir}`);
  printHuman(lines.join('\n'));
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result.status === 'passed' ? EXIT.passed : EXIT.failed;
}

/**
 * A test file as the reports name it: relative to the working directory when it is inside it, so an
 * absolute argument (`$PWD/alarms/x.yaml`) puts no path of the machine into result.json or junit.xml.
 */
function nameFromWorkingDir(file: string): string {
  const rel = relative(process.cwd(), resolve(file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
