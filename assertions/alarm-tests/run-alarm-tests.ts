import type { AlarmDefinition } from '../../core/schema.ts';
import {
  type AlarmEvaluation,
  type AlarmSample,
  buildPeriodDatapoints,
  evaluateAlarm,
  evaluationIntervalSeconds,
  formatReasonNumber,
} from '../../telemetry/alarm-evaluator.ts';
import {
  type ChildState,
  type CompositeEvaluation,
  evaluateCompositeAlarm,
  ruleAlarmNames,
} from '../../telemetry/composite-alarm.ts';
import {
  buildQueryDatapoints,
  evaluateMathAlarm,
  type MetricQueryDatapoints,
} from '../../telemetry/metric-math/evaluate-math-alarm.ts';
import type { AlarmStateValue } from '../../telemetry/types.ts';
import type { AlarmTestCase, AlarmTestFile, AlarmTestSeries, LoadedAlarm } from './load-alarm-tests.ts';

export interface AlarmExpectationResult {
  at: string;
  alarm: string;
  expected: AlarmStateValue;
  actual: AlarmStateValue;
  passed: boolean;
  /** The last evaluation at or before `at` (datapoints and reason) of a metric or math alarm. */
  evaluation?: AlarmEvaluation;
  /** The last evaluation at or before `at` of a composite alarm (children's states and reason). */
  composite?: CompositeEvaluation;
  /** The alarm's state changes up to `at` (test-clock ms), oldest first, with their reasons. */
  history: { at: number; from: AlarmStateValue; to: AlarmStateValue; reason: string }[];
}

export interface AlarmTestResult {
  file: string;
  test: string;
  passed: boolean;
  expectations: AlarmExpectationResult[];
}

type Dimensions = AlarmDefinition['Dimensions'];

function sameDimensions(a: Dimensions, b: Record<string, string>): boolean {
  const dims = a ?? [];
  return dims.length === Object.keys(b).length && dims.every((d) => b[d.Name] === d.Value);
}

/** The samples of the series that are this metric, on the test's clock. */
function samplesFor(
  metric: { Namespace: string; MetricName: string; Dimensions?: Dimensions },
  series: readonly AlarmTestSeries[],
  intervalMs: number,
): AlarmSample[] {
  const samples: AlarmSample[] = [];
  for (const s of series) {
    if (s.Namespace !== metric.Namespace || s.MetricName !== metric.MetricName) continue;
    if (!sameDimensions(metric.Dimensions, s.Dimensions)) continue;
    s.values.forEach((value, i) => {
      if (value !== undefined) samples.push({ t: i * intervalMs, value, count: 1 });
    });
  }
  return samples;
}

/** The expected alarms and, for composites, every alarm below them (children first). */
function alarmsToEvaluate(file: AlarmTestFile, names: Iterable<string>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const alarm = file.alarms.get(name);
    if (alarm && 'composite' in alarm) for (const child of ruleAlarmNames(alarm.rule)) visit(child);
    order.push(name);
  };
  for (const name of names) visit(name);
  return order;
}

/** How often an alarm is evaluated, ms: every minute, every period for 10/20/30 s alarms. */
function stepOf(alarm: LoadedAlarm): number {
  if ('definition' in alarm) return evaluationIntervalSeconds(alarm.definition.Period) * 1000;
  if ('math' in alarm) return evaluationIntervalSeconds(alarm.compiled.period) * 1000;
  return 60_000;
}

type Evaluator = (
  at: number,
  previous: AlarmStateValue,
  children: ReadonlyMap<string, ChildState>,
) => { kind: 'metric'; evaluation: AlarmEvaluation } | { kind: 'composite'; evaluation: CompositeEvaluation };

function createEvaluator(
  file: AlarmTestFile,
  test: AlarmTestCase,
  alarm: LoadedAlarm,
): Evaluator | undefined {
  const range = file.evaluationRange ? { evaluationRange: file.evaluationRange } : {};
  if ('definition' in alarm) {
    const def = alarm.definition;
    const datapoints = buildPeriodDatapoints(def, samplesFor(def, test.series, test.intervalMs));
    return (at, previous) => ({
      kind: 'metric',
      evaluation: evaluateAlarm(def, { now: at, datapoints, previousState: previous, ...range }),
    });
  }
  if ('math' in alarm) {
    const datapoints: MetricQueryDatapoints = new Map(
      alarm.compiled.metrics.map((m) => [
        m.id,
        buildQueryDatapoints(m, samplesFor(m.metric, test.series, test.intervalMs)),
      ]),
    );
    return (at, previous) => ({
      kind: 'metric',
      evaluation: evaluateMathAlarm(alarm.math, alarm.compiled, {
        now: at,
        datapoints,
        previousState: previous,
        ...range,
      }),
    });
  }
  if ('composite' in alarm) {
    return (at, previous, children) => ({
      kind: 'composite',
      evaluation: evaluateCompositeAlarm(alarm.rule, { now: at, previousState: previous, children }),
    });
  }
  return undefined;
}

/**
 * Runs one test: every alarm it needs starts INSUFFICIENT_DATA; at each step, metric and math alarms
 * due then are evaluated first, then composite alarms each minute, children before parents; `at: T`
 * is the state after the evaluations at T. Pure.
 */
function runAlarmTest(file: AlarmTestFile, test: AlarmTestCase): AlarmTestResult {
  const names = alarmsToEvaluate(
    file,
    test.expect.map((e) => e.alarm),
  );
  const evaluators = new Map<string, { step: number; evaluate: Evaluator; composite: boolean }>();
  for (const name of names) {
    const alarm = file.alarms.get(name);
    const evaluate = alarm && createEvaluator(file, test, alarm);
    if (alarm && evaluate)
      evaluators.set(name, { step: stepOf(alarm), evaluate, composite: 'composite' in alarm });
  }
  const until = Math.max(0, ...test.expect.map((e) => e.atMs));
  const tick = Math.min(60_000, ...[...evaluators.values()].map((e) => e.step));
  const states = new Map<string, ChildState>();
  const history = new Map<
    string,
    { at: number; metric?: AlarmEvaluation; composite?: CompositeEvaluation }[]
  >();
  const transitions = new Map<string, AlarmExpectationResult['history']>();
  for (let at = 0; at <= until; at += tick) {
    // Metric alarms first, then composites (already in children-first order).
    for (const pass of [false, true]) {
      for (const [name, e] of evaluators) {
        if (e.composite !== pass || at % e.step !== 0) continue;
        const previous = states.get(name)?.state ?? 'INSUFFICIENT_DATA';
        const result = e.evaluate(at, previous, states);
        const state = result.evaluation.state;
        if (state !== previous) {
          const list = transitions.get(name) ?? [];
          list.push({ at, from: previous, to: state, reason: result.evaluation.reason });
          transitions.set(name, list);
        }
        if (state !== previous || !states.has(name)) {
          states.set(name, { state, since: state !== previous ? at : (states.get(name)?.since ?? 0) });
        }
        const entry =
          result.kind === 'metric' ? { at, metric: result.evaluation } : { at, composite: result.evaluation };
        const list = history.get(name) ?? [];
        list.push(entry);
        history.set(name, list);
      }
    }
  }
  const results: AlarmExpectationResult[] = test.expect.map((e) => {
    const last = history
      .get(e.alarm)
      ?.filter((h) => h.at <= e.atMs)
      .at(-1);
    const actual = last?.metric?.state ?? last?.composite?.state ?? 'INSUFFICIENT_DATA';
    return {
      at: e.at,
      alarm: e.alarm,
      expected: e.state,
      actual,
      passed: actual === e.state,
      ...(last?.metric ? { evaluation: last.metric } : {}),
      ...(last?.composite ? { composite: last.composite } : {}),
      history: (transitions.get(e.alarm) ?? []).filter((t) => t.at <= e.atMs),
    };
  });
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
      const composite = e.composite;
      if (composite) {
        lines.push(
          `    children: ${composite.children.map((c) => `${c.alarm}=${c.state}`).join(' ') || '(none)'}`,
        );
        lines.push(`    reason: ${composite.reason}`);
      }
      if (e.history.length > 0) {
        lines.push(
          `    history: ${e.history.map((t) => `${formatOffset(t.at)} ${t.from} → ${t.to}`).join(', ')}`,
        );
      }
    }
  }
  const failed = results.filter((r) => !r.passed).length;
  lines.push(`${results.length - failed} passed, ${failed} failed`);
  return lines.join('\n');
}
