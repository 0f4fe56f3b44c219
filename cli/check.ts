import { readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import type { Command } from 'commander';
import { type Diagnostic, dedupeDiagnostics } from '../core/diagnostics.ts';
import { ConfigError, EXIT, type ExitCode } from '../core/errors.ts';
import { printHuman } from './command-kit.ts';

export interface CheckFlags {
  config?: string;
  env?: string;
}

/** Alarm unit test files `check` loads, under the config's folder. */
export const ALARM_TEST_GLOB = '**/*.alarms.{yaml,yml,json}';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'validate the config, canaries, experiments, drills and alarm tests; touches no target, no AWS',
    )
    .option('--config <file>', 'config file (default: ./opsproof.config.ts)')
    .option('--env <name>', 'check for this environment only (default: every environment)')
    .action(async (flags: CheckFlags) => {
      process.exitCode = await runCheck(flags);
    });
}

/**
 * Loads everything a run would load (config, every canary file, every experiment, drill and alarm,
 * every `*.alarms.yaml` under the config's folder with its templates) and lists every problem at
 * once. Nothing is started or contacted: canary files are imported, not run.
 */
export async function runCheck(flags: CheckFlags, cwd = process.cwd()): Promise<ExitCode> {
  const [
    { findConfigFile, loadConfigValue },
    { validateSuite },
    { validateRun },
    { loadAlarmTestFile },
    { glob },
  ] = await Promise.all([
    import('../core/load-config.ts'),
    import('../core/validate-suite.ts'),
    import('../runner/validate-run.ts'),
    import('../assertions/alarm-tests/load-alarm-tests.ts'),
    import('tinyglobby'),
  ]);
  const file = findConfigFile(cwd, flags.config);
  const dir = dirname(file);
  const { parsed: suite, diagnostics } = validateSuite(await loadConfigValue(file));
  const problems: Diagnostic[] = [...diagnostics];
  if (suite) {
    const envs = flags.env ? [flags.env] : Object.keys(suite.environments);
    if (flags.env && !suite.environments[flags.env])
      problems.push({
        path: 'environments',
        severity: 'error',
        message: `no environment named "${flags.env}"; the config has ${Object.keys(suite.environments).join(', ')}`,
      });
    // Each provider checks experiments its own way: the embedded one also needs their local mapping.
    const providers = new Set(envs.map((e) => suite.environments[e]?.provider ?? 'embedded'));
    const loaded = { suite, file, dir, warnings: [] };
    for (const provider of providers) {
      problems.push(
        ...(await validateRun({
          loaded,
          provider,
          scope: { experiments: 'all', canaries: {}, drills: Object.keys(suite.drills) },
          ...(flags.env ? { env: flags.env } : {}),
        })),
      );
    }
  }
  const alarmFiles = await glob(ALARM_TEST_GLOB, {
    cwd: dir,
    absolute: true,
    ignore: ['**/node_modules/**', '**/reports/**', '**/cdk.out/**'],
  });
  for (const alarmFile of alarmFiles.sort()) {
    const name = relative(cwd, alarmFile);
    // A file with tests only is completed by its caller (e.g. with a synthesized template): alone,
    // every alarm it names would be unknown.
    if (!(await definesAlarms(alarmFile))) {
      problems.push({
        path: name,
        severity: 'warning',
        message: 'has no alarms: or templates: of its own, so its tests cannot be checked alone',
      });
      continue;
    }
    try {
      const loadedTests = await loadAlarmTestFile(alarmFile, cwd);
      if (suite) problems.push(...findAlarmDrift(name, suite.alarms, loadedTests.alarms));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const found =
        error.diagnostics.length > 0
          ? error.diagnostics
          : [{ path: '', severity: 'error' as const, message: error.message }];
      problems.push(...found.map((d) => ({ ...d, path: d.path ? `${name}: ${d.path}` : name })));
    }
  }
  const unique = dedupeDiagnostics(problems);
  const errors = unique.filter((d) => d.severity === 'error').length;
  const warnings = unique.length - errors;
  const { formatDiagnostics } = await import('../core/diagnostics.ts');
  const counts = suite
    ? `${Object.keys(suite.environments).length} environment(s), ${suite.canaries.files.length} canary glob(s), ${Object.keys(suite.experiments).length} experiment(s), ${suite.alarms.length} alarm(s), ${Object.keys(suite.drills).length} drill(s), ${alarmFiles.length} alarm test file(s)`
    : `${alarmFiles.length} alarm test file(s)`;
  const lines = [`check ${relative(cwd, file) || file}: ${counts}`];
  if (unique.length > 0) lines.push(formatDiagnostics(unique));
  lines.push(
    errors > 0
      ? `${errors} error${errors === 1 ? '' : 's'}${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}: fix them before a run`
      : `ok${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`,
  );
  printHuman(lines.join('\n'));
  return errors > 0 ? EXIT.usage : EXIT.passed;
}

/** What decides an alarm's state: a test of an alarm differing in one of these proves another alarm. */
const EVALUATED = [
  'Namespace',
  'MetricName',
  'Dimensions',
  'Statistic',
  'ExtendedStatistic',
  'Period',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
] as const;

/**
 * An alarm test file that defines an alarm under the name of one of the suite's, but evaluated
 * differently (a threshold changed in one place only): a warning naming the first differences.
 */
function findAlarmDrift(
  file: string,
  suiteAlarms: readonly object[],
  tested: ReadonlyMap<string, object>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const alarm of suiteAlarms as Record<string, unknown>[]) {
    const loaded = tested.get(String(alarm.AlarmName)) as
      | { definition?: Record<string, unknown> }
      | undefined;
    const test = loaded?.definition;
    if (!test || alarm.MetricName === undefined) continue;
    const differs = EVALUATED.filter(
      (key) =>
        alarm[key] !== undefined &&
        test[key] !== undefined &&
        JSON.stringify(alarm[key]) !== JSON.stringify(test[key]),
    );
    if (differs.length === 0) continue;
    out.push({
      path: `${file}: alarms.${String(alarm.AlarmName)}`,
      severity: 'warning',
      message: `differs from the config's alarm of that name (${differs
        .map((k) => `${k}: ${JSON.stringify(alarm[k])} in the config, ${JSON.stringify(test[k])} here`)
        .join('; ')}), so its tests prove another alarm`,
    });
  }
  return out;
}

async function definesAlarms(file: string): Promise<boolean> {
  const { parse } = await import('yaml');
  try {
    const raw = parse(await readFile(file, 'utf8')) as { alarms?: unknown; templates?: unknown } | null;
    return raw?.alarms !== undefined || raw?.templates !== undefined;
  } catch {
    // Unreadable or malformed: the loader reports it with its position.
    return true;
  }
}
