import type { AlarmDefinition } from '../../core/schema.ts';
import {
  type AlarmEvaluation,
  type AlarmSample,
  buildPeriodDatapoints,
  evaluateAlarm,
  evaluationIntervalSeconds,
  formatReasonNumber,
} from '../../telemetry/alarm-evaluator.ts';
import type { AlarmStateValue } from '../../telemetry/types.ts';
import type { AlarmTestCase, AlarmTestFile, AlarmTestSeries } from './load-alarm-tests.ts';

export interface AlarmExpectationResult {
  at: string;
  alarm: string;
  expected: AlarmStateValue;
  actual: AlarmStateValue;
  passed: boolean;
  /** The last evaluation at or before `at` (datapoints and reason). */
  evaluation?: AlarmEvaluation;
}

export interface AlarmTestResult {
  file: string;
  test: string;
  passed: boolean;
  expectations: AlarmExpectationResult[];
}

function sameDimensions(a: AlarmDefinition['Dimensions'], b: Record<string, string>): boolean {
  const dims = a ?? [];
  return dims.length === Object.keys(b).length && dims.every((d) => b[d.Name] === d.Value);
}

/** The samples of the series that are this alarm's metric, on the test's clock. */
function samplesFor(
  alarm: AlarmDefinition,
  series: readonly AlarmTestSeries[],
  intervalMs: number,
): AlarmSample[] {
  const samples: AlarmSample[] = [];
  for (const s of series) {
    if (s.Namespace !== alarm.Namespace || s.MetricName !== alarm.MetricName) continue;
    if (!sameDimensions(alarm.Dimensions, s.Dimensions)) continue;
    s.values.forEach((value, i) => {
      if (value !== undefined) samples.push({ t: i * intervalMs, value, count: 1 });
    });
  }
  return samples;
}

/**
 * Runs one test: each expected alarm starts INSUFFICIENT_DATA and is evaluated at every minute (every
 * period for 10/20/30 s alarms) from t = 0; `at: T` is the state after the evaluation at T. Pure.
 */
export function runAlarmTest(file: AlarmTestFile, test: AlarmTestCase): AlarmTestResult {
  const results: AlarmExpectationResult[] = [];
  const byAlarm = new Map<string, { evaluations: AlarmEvaluation[] }>();
  for (const name of new Set(test.expect.map((e) => e.alarm))) {
    const loaded = file.alarms.get(name);
    if (!loaded || !('definition' in loaded)) continue;
    const alarm = loaded.definition;
    const datapoints = buildPeriodDatapoints(alarm, samplesFor(alarm, test.series, test.intervalMs));
    const step = evaluationIntervalSeconds(alarm.Period) * 1000;
    const until = Math.max(...test.expect.filter((e) => e.alarm === name).map((e) => e.atMs));
    const evaluations: AlarmEvaluation[] = [];
    let state: AlarmStateValue = 'INSUFFICIENT_DATA';
    for (let at = 0; at <= until; at += step) {
      const evaluation = evaluateAlarm(alarm, {
        now: at,
        datapoints,
        previousState: state,
        ...(file.evaluationRange ? { evaluationRange: file.evaluationRange } : {}),
      });
      state = evaluation.state;
      evaluations.push(evaluation);
    }
    byAlarm.set(name, { evaluations });
  }
  for (const e of test.expect) {
    const evaluation = byAlarm
      .get(e.alarm)
      ?.evaluations.filter((v) => v.at <= e.atMs)
      .at(-1);
    const actual = evaluation?.state ?? 'INSUFFICIENT_DATA';
    results.push({
      at: e.at,
      alarm: e.alarm,
      expected: e.state,
      actual,
      passed: actual === e.state,
      ...(evaluation ? { evaluation } : {}),
    });
  }
  return { file: file.file, test: test.name, passed: results.every((r) => r.passed), expectations: results };
}

export function runAlarmTestFile(file: AlarmTestFile): AlarmTestResult[] {
  return file.tests.map((test) => runAlarmTest(file, test));
}

/** `m:ss` from ms on the test clock. */
function formatOffset(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The report the CLI prints: one line per test, and for each failure the datapoints and reason. Pure. */
export function formatAlarmTestReport(results: readonly AlarmTestResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.passed ? 'PASS' : 'FAIL'} ${r.file} › ${r.test}`);
    for (const e of r.expectations) {
      if (e.passed) continue;
      lines.push(`  at ${e.at}: ${e.alarm} expected ${e.expected}, got ${e.actual}`);
      const ev = e.evaluation;
      if (ev) {
        const points = ev.range.map(
          (d) => `${formatOffset(d.start)}=${formatReasonNumber(d.value)}${d.breaching ? '!' : ''}`,
        );
        lines.push(
          `    datapoints (period start=value, ! breaching): ${points.length ? points.join(' ') : '(none)'}`,
        );
        lines.push(`    reason: ${ev.reason}`);
      }
    }
  }
  const failed = results.filter((r) => !r.passed).length;
  lines.push(`${results.length - failed} passed, ${failed} failed`);
  return lines.join('\n');
}
