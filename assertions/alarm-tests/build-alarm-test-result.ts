import { type Check, RESULT_SCHEMA_VERSION, type RunResult, summarizeStatus } from '../../core/run-result.ts';
import { type AlarmTestFile, loadedAlarmName } from './load-alarm-tests.ts';
import { type AlarmTestResult, formatAlarmTestReport } from './run-alarm-tests.ts';

/** The alarms of the loaded templates and whether any test names them. */
export interface AlarmCoverage {
  /** Every alarm of `templates:` across the files, by name. */
  templateAlarms: string[];
  tested: string[];
  /** Template alarms no expectation names, with why they cannot be tested when that is the case. */
  untested: { alarm: string; template: string; unsupported?: string }[];
}

/**
 * Which alarms of the loaded templates no test names. An alarm is covered when an expectation of any
 * of the files names it (a composite's expectation does not cover its children). Pure.
 */
export function buildAlarmCoverage(files: readonly AlarmTestFile[]): AlarmCoverage {
  const named = new Set(files.flatMap((f) => f.tests.flatMap((t) => t.expect.map((e) => e.alarm))));
  const byName = new Map<string, { template: string; unsupported?: string }>();
  for (const file of files) {
    for (const alarm of file.alarms.values()) {
      if (!alarm.template) continue;
      byName.set(loadedAlarmName(alarm), {
        template: alarm.template,
        ...('unsupported' in alarm ? { unsupported: alarm.unsupported } : {}),
      });
    }
  }
  const templateAlarms = [...byName.keys()].sort();
  return {
    templateAlarms,
    tested: templateAlarms.filter((a) => named.has(a)),
    untested: templateAlarms.filter((a) => !named.has(a)).map((alarm) => ({ alarm, ...byName.get(alarm)! })),
  };
}

export interface BuildAlarmTestResultInput {
  runId: string;
  version: string;
  startedAt: Date;
  endedAt: Date;
  results: readonly AlarmTestResult[];
  coverage: AlarmCoverage;
  requireCoverage: boolean;
}

/**
 * The RunResult of `opsproof alarms test`: one `alarm-test` check per test (failed ones carry the
 * expression's datapoints per period and the reason, as the terminal shows them) and, when templates
 * were loaded, one coverage check — failed under `--require-coverage` when a template alarm is
 * untested, skipped (listing them) otherwise. Pure.
 */
export function buildAlarmTestResult(input: BuildAlarmTestResultInput): RunResult {
  const checks: Check[] = input.results.map((r) => {
    const passed = r.expectations.filter((e) => e.passed).length;
    return {
      id: `alarm-test:${r.file}:${r.test}`,
      kind: 'alarm-test',
      name: `${r.file} › ${r.test}`,
      status: r.passed ? 'passed' : 'failed',
      measured: `${passed}/${r.expectations.length} expectations`,
      threshold: null,
      message: r.passed
        ? `${r.expectations.length} expectation${r.expectations.length === 1 ? '' : 's'} met`
        : formatAlarmTestReport([r]).split('\n').slice(1, -1).join('\n').replace(/^ {2}/gm, ''),
    };
  });
  const { coverage } = input;
  if (coverage.templateAlarms.length > 0) {
    const untested = coverage.untested.map((u) =>
      u.unsupported ? `${u.alarm} (${u.unsupported})` : u.alarm,
    );
    checks.push({
      id: 'alarm-test:coverage',
      kind: 'alarm-test',
      name: 'template alarms named by a test',
      status: untested.length === 0 ? 'passed' : input.requireCoverage ? 'failed' : 'skipped',
      measured: `${coverage.tested.length}/${coverage.templateAlarms.length}`,
      threshold: input.requireCoverage ? 'every template alarm' : null,
      message:
        untested.length === 0
          ? `every alarm of the templates is tested (${coverage.templateAlarms.length})`
          : `not tested: ${untested.join('; ')}${input.requireCoverage ? '' : ' (--require-coverage fails on them)'}`,
    });
  }
  const durationMs = input.endedAt.getTime() - input.startedAt.getTime();
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: input.runId,
    tool: { name: 'opsproof', version: input.version },
    command: 'alarms test',
    service: 'alarm tests',
    env: 'offline',
    provider: 'embedded',
    target: null,
    startedAt: input.startedAt.toISOString(),
    endedAt: input.endedAt.toISOString(),
    durationMs,
    status: summarizeStatus(checks),
    checks,
    stages: [],
    artifacts: [],
    timeline: [],
  };
}
