import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../core/errors.ts';
import { loadSuite } from '../../core/load-config.ts';
import { type AlarmTestFile, loadAlarmTestFile } from './load-alarm-tests.ts';
import { parseSeries } from './parse-series.ts';
import { formatAlarmTestReport, runAlarmTestFile } from './run-alarm-tests.ts';

describe('series notation', () => {
  test.each([
    ['0 0 10 0 10 0x3', [0, 0, 10, 0, 10, 0, 0, 0]],
    ['_ 1 _', [undefined, 1, undefined]],
    ['_x2 5', [undefined, undefined, 5]],
    ['1+2x4', [1, 3, 5, 7]],
    ['10-2.5x3', [10, 7.5, 5]],
    ['-1 1e3 .5', [-1, 1000, 0.5]],
    [42, [42]],
    ['', []],
  ] as const)('"%s"', (text, values) => {
    expect(parseSeries(text)).toEqual(values);
  });

  test.each([
    ['1 two 3', /token 2 "two" is not a value/],
    ['1+2', /a step needs a count, e.g. 1\+2x5/],
    ['_+1x3', /token 1 "_\+1x3" is not a value|cannot have a step/],
    ['1x', /token 1 "1x" is not a value/],
  ])('"%s" is refused', (text, message) => {
    expect(() => parseSeries(text)).toThrow(message);
  });
});

function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-alarms-'));
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

const errorsAlarm = `
alarms:
  - AlarmName: HighErrorRate
    Namespace: Demo
    MetricName: Errors
    Dimensions: [{ Name: Service, Value: api }]
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 3
    DatapointsToAlarm: 2
    Threshold: 5
    ComparisonOperator: GreaterThanThreshold
`;

describe('the example of DESIGN.md', () => {
  test('two bad minutes out of three fire the alarm; a wrong expectation fails with datapoints and reason', async () => {
    const file = tempFile(
      'design.alarms.yaml',
      `${errorsAlarm}
tests:
  - name: two bad minutes out of three fire the alarm
    interval: 1m
    series:
      - metric: { Namespace: Demo, MetricName: Errors, Dimensions: { Service: api } }
        values: "0 0 10 0 10 0x3"
    expect:
      - { at: 5m, alarm: HighErrorRate, state: ALARM }
      - { at: 3m, alarm: HighErrorRate, state: ALARM }
`,
    );
    const [result] = runAlarmTestFile(await loadAlarmTestFile(file));
    expect(result!.expectations.map((e) => [e.at, e.actual, e.passed])).toEqual([
      ['5m', 'ALARM', true],
      ['3m', 'OK', false],
    ]);
    const report = formatAlarmTestReport([result!]);
    expect(report).toContain('FAIL');
    expect(report).toContain('at 3m: HighErrorRate expected ALARM, got OK');
    expect(report).toContain('datapoints (period start=value, ! breaching): 0m00s=0.0 1m00s=0.0 2m00s=10.0!');
    expect(report).toMatch(/reason: Threshold Crossed: 2 out of the last 3 datapoints/);
    // 0m: no datapoint yet; 1m: the first (0) is fine → OK (by 3m, 2 of 3 are not yet breaching).
    expect(report).toContain('history: 1m00s INSUFFICIENT_DATA → OK');
    expect(result!.expectations[0]!.history.map((t) => [t.at / 60_000, t.to])).toEqual([
      [1, 'OK'],
      [5, 'ALARM'],
    ]);
    expect(report).toContain('0 passed, 1 failed');
  });
});

describe('malformed files are refused with the file, test and path', () => {
  test.each([
    [
      'malformed series',
      `${errorsAlarm}\ntests:\n  - name: t1\n    series:\n      - metric: { Namespace: Demo, MetricName: Errors }\n        values: "1 x 2"\n    expect: [{ at: 1m, alarm: HighErrorRate, state: OK }]\n`,
      /tests\[0\] "t1"\.series\[0\]\.values: token 2 "x" is not a value/,
    ],
    [
      'unknown alarm',
      `${errorsAlarm}\ntests:\n  - name: t1\n    expect: [{ at: 1m, alarm: Nope, state: OK }]\n`,
      /tests\[0\] "t1"\.expect\[0\]\.alarm: unknown alarm "Nope"; known alarms: "HighErrorRate"/,
    ],
    [
      'bad state',
      `${errorsAlarm}\ntests:\n  - name: t1\n    expect: [{ at: 1m, alarm: HighErrorRate, state: FIRING }]\n`,
      /tests\[0\]\.expect\[0\]\.state: expected one of "OK", "ALARM", "INSUFFICIENT_DATA"/,
    ],
    [
      'bad alarm definition',
      `alarms:\n  - { AlarmName: A, Namespace: N, MetricName: M, Statistic: Sum, Period: 45, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanThreshold }\ntests:\n  - name: t\n    expect: [{ at: 1m, alarm: A, state: OK }]\n`,
      /alarms\[0\]\.Period: expected 10, 20, 30 or a multiple of 60/,
    ],
    [
      'intrinsic function',
      `alarms:\n  - { AlarmName: A, Namespace: N, MetricName: M, Statistic: Sum, Period: 60, EvaluationPeriods: 1, Threshold: { Ref: Limit }, ComparisonOperator: GreaterThanThreshold }\ntests:\n  - name: t\n    expect: [{ at: 1m, alarm: A, state: OK }]\n`,
      /alarms\[0\]\.Threshold: uses Ref, which alarm tests cannot resolve/,
    ],
  ])('%s', async (_what, content, message) => {
    const file = tempFile('bad.alarms.yaml', content);
    const error = await loadAlarmTestFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('bad.alarms.yaml');
    expect((error as ConfigError).message).toMatch(message);
  });
});

describe('alarms from a synthesized CloudFormation template', () => {
  const template = join(import.meta.dirname, 'testdata', 'stack.template.json');

  test("plain values resolve (numeric strings, actions dropped, logical id as name, CDK's Fn::Join/Fn::GetAtt alarm rules); math and composite alarms load; anomaly detection is refused when used", async () => {
    const file = tempFile(
      'cfn.alarms.yaml',
      `templates: [${JSON.stringify(template)}]
tests:
  - name: from the template
    series:
      - metric: { Namespace: Demo, MetricName: Errors, Dimensions: { Service: api } }
        values: "10 10 0"
      - metric: { Namespace: Demo, MetricName: Requests, Dimensions: { Service: api } }
        values: "100 20 100"
      - metric: { Namespace: Demo, MetricName: Latency }
        values: "2000"
    expect:
      - { at: 2m, alarm: StackErrors, state: ALARM }
      - { at: 1m, alarm: UnnamedAlarmDEF, state: ALARM }
      # minute 0: 10/100 = 0.1, not above 0.1; minute 1: 10/20 = 0.5 > 0.1
      - { at: 1m, alarm: ErrorRateMath, state: OK }
      - { at: 2m, alarm: ErrorRateMath, state: ALARM }
      # ALARM(StackErrors) OR ALARM(ErrorRateMath): StackErrors needs 2 of 3 (> 5) — at 2m both fire
      - { at: 1m, alarm: AnyBad, state: OK }
      - { at: 2m, alarm: AnyBad, state: ALARM }
`,
    );
    const loaded = await loadAlarmTestFile(file);
    expect([...loaded.alarms.keys()].sort()).toEqual([
      'AnyBad',
      'ErrorRateMath',
      'LatencyAnomaly',
      'StackErrors',
      'UnnamedAlarmDEF',
    ]);
    const [result] = runAlarmTestFile(loaded);
    expect(result!.expectations.filter((e) => !e.passed)).toEqual([]);

    const refused = tempFile(
      'refused.alarms.yaml',
      `templates: [${JSON.stringify(template)}]\ntests:\n  - name: t\n    expect: [{ at: 1m, alarm: LatencyAnomaly, state: OK }]\n`,
    );
    await expect(loadAlarmTestFile(refused)).rejects.toThrow(
      /alarm "LatencyAnomaly" \(.*\): anomaly detection alarms \(ThresholdMetricId\) compare the metric with a band from a model CloudWatch trains on its history, which cannot be reproduced offline/,
    );
  });
});

describe('shipped alarm test files pass', () => {
  test.each([
    'assertions/fixtures/aws-docs-examples.alarms.yaml',
    'assertions/fixtures/math-and-composite.alarms.yaml',
    'demo/alarms/demo.alarms.yaml',
  ])('%s', async (path) => {
    const results = runAlarmTestFile(await loadAlarmTestFile(path, join(import.meta.dirname, '..', '..')));
    expect(results.length).toBeGreaterThan(4);
    expect(formatAlarmTestReport(results)).toMatch(/ 0 failed$/);
  });

  test("demo.alarms.yaml tests the demo suite's own alarm definitions", async () => {
    const root = join(import.meta.dirname, '..', '..');
    const { suite } = await loadSuite({ cwd: root });
    const file: AlarmTestFile = await loadAlarmTestFile('demo/alarms/demo.alarms.yaml', root);
    for (const alarm of suite.alarms) {
      const loaded = file.alarms.get(alarm.AlarmName);
      // Single-metric, math and composite alarms load under their own keys.
      const definition =
        loaded && ('definition' in loaded ? loaded.definition : 'math' in loaded ? loaded.math : undefined);
      const tested = loaded && 'composite' in loaded ? loaded.composite : definition;
      expect(tested, alarm.AlarmName).toBeDefined();
      const { severity: _s, runbook: _r, AlarmDescription: _d, ...cloudwatch } = alarm;
      const { severity: _s2, runbook: _r2, AlarmDescription: _d2, ...rest } = tested as typeof alarm;
      expect(rest).toEqual(cloudwatch);
    }
  });
});
