import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, aws_cloudwatch as cw, Duration, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, test } from 'vitest';
import { buildAlarmCoverage } from './build-alarm-test-result.ts';
import { type AlarmTestFile, loadAlarmTestFile } from './load-alarm-tests.ts';
import { runAlarmTestFile } from './run-alarm-tests.ts';

/**
 * A CDK app as a typical monitoring setup writes it — `MathExpression` error rates, a SUM over
 * several metrics, a plain metric alarm, an anomaly-detection alarm and `CompositeAlarm`s (nested,
 * with NOT) — synthesized once; every alarm of its template loads and is evaluated by
 * `opsproof alarms test`, the anomaly-detection one is refused in one sentence.
 */
function buildStack(): Stack {
  const app = new App();
  const stack = new Stack(app, 'Monitoring');
  const lambda = (metricName: string, fn = 'orders') =>
    new cw.Metric({
      namespace: 'AWS/Lambda',
      metricName,
      dimensionsMap: { FunctionName: fn },
      statistic: 'Sum',
      period: Duration.minutes(1),
    });
  const errorRate = new cw.Alarm(stack, 'ErrorRate', {
    alarmName: 'orders error rate',
    metric: new cw.MathExpression({
      expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
      usingMetrics: { errors: lambda('Errors'), invocations: lambda('Invocations') },
      period: Duration.minutes(1),
      label: 'error rate (%)',
    }),
    threshold: 5,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cw.TreatMissingData.NOT_BREACHING,
  });
  const throttles = new cw.Alarm(stack, 'AllThrottles', {
    alarmName: 'throttles',
    metric: new cw.MathExpression({
      expression: 'SUM(METRICS())',
      usingMetrics: { orders: lambda('Throttles'), payments: lambda('Throttles', 'payments') },
      period: Duration.minutes(1),
    }),
    threshold: 0,
    evaluationPeriods: 1,
    comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cw.TreatMissingData.NOT_BREACHING,
  });
  const deploying = new cw.Alarm(stack, 'Deploying', {
    alarmName: 'DeploymentInProgress',
    metric: new cw.Metric({
      namespace: 'Deploy',
      metricName: 'InProgress',
      statistic: 'Maximum',
      period: Duration.minutes(1),
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cw.TreatMissingData.NOT_BREACHING,
  });
  new cw.AnomalyDetectionAlarm(stack, 'LatencyAnomaly', {
    alarmName: 'latency anomaly',
    metric: lambda('Duration'),
    evaluationPeriods: 3,
    stdDevs: 2,
  });
  const degraded = new cw.CompositeAlarm(stack, 'Degraded', {
    compositeAlarmName: 'orders degraded',
    alarmRule: cw.AlarmRule.anyOf(
      cw.AlarmRule.fromAlarm(errorRate, cw.AlarmState.ALARM),
      cw.AlarmRule.fromAlarm(throttles, cw.AlarmState.ALARM),
    ),
  });
  new cw.CompositeAlarm(stack, 'Page', {
    compositeAlarmName: 'page on-call',
    alarmRule: cw.AlarmRule.allOf(
      cw.AlarmRule.fromAlarm(degraded, cw.AlarmState.ALARM),
      cw.AlarmRule.not(cw.AlarmRule.fromAlarm(deploying, cw.AlarmState.ALARM)),
    ),
  });
  return stack;
}

let dir: string;
let templateFile: string;

beforeAll(() => {
  const stack = buildStack();
  const assembly = (stack.node.root as App).synth();
  dir = mkdtempSync(join(tmpdir(), 'opsproof-cdk-alarms-'));
  templateFile = join(dir, 'Monitoring.template.json');
  writeFileSync(templateFile, JSON.stringify(assembly.getStackByName('Monitoring').template));
});

async function load(tests: string): Promise<AlarmTestFile> {
  const file = join(dir, `t${Math.random().toString(16).slice(2)}.alarms.yaml`);
  writeFileSync(file, `templates: [${JSON.stringify(templateFile)}]\n${tests}`);
  return loadAlarmTestFile(file);
}

describe('a CDK app with MathExpression and CompositeAlarm', () => {
  const tests = `
tests:
  - name: errors during a deploy do not page; after it they do
    series:
      - metric: { Namespace: AWS/Lambda, MetricName: Errors, Dimensions: { FunctionName: orders } }
        values: "0 10 10 10 10"
      - metric: { Namespace: AWS/Lambda, MetricName: Invocations, Dimensions: { FunctionName: orders } }
        values: "100x5"
      - metric: { Namespace: AWS/Lambda, MetricName: Throttles, Dimensions: { FunctionName: payments } }
        values: "0 0 0 0 0"
      - metric: { Namespace: Deploy, MetricName: InProgress }
        values: "1 1 1 0 0"
    expect:
      # error rate 0, 10, 10, 10, 10 %: 2 of 3 above 5 from 3m (m0-m2) → ALARM.
      - { at: 2m, alarm: orders error rate, state: OK }
      - { at: 3m, alarm: orders error rate, state: ALARM }
      # throttles: SUM of both functions' Throttles is 0 (orders has none: missing as 0) → OK.
      - { at: 3m, alarm: throttles, state: OK }
      # Degraded = error rate OR throttles → ALARM at 3m.
      - { at: 3m, alarm: orders degraded, state: ALARM }
      # 3m: the deploy (m2 = 1) is ALARM → NOT ALARM fails → page OK; 4m: m3 = 0 → page ALARM.
      - { at: 3m, alarm: DeploymentInProgress, state: ALARM }
      - { at: 3m, alarm: page on-call, state: OK }
      - { at: 4m, alarm: page on-call, state: ALARM }
  - name: throttles of any function degrade
    series:
      - metric: { Namespace: AWS/Lambda, MetricName: Throttles, Dimensions: { FunctionName: payments } }
        values: "0 2"
    expect:
      - { at: 1m, alarm: throttles, state: OK }
      - { at: 2m, alarm: throttles, state: ALARM }
      - { at: 2m, alarm: orders degraded, state: ALARM }
`;

  test('every alarm of the template loads; all but the anomaly-detection one are evaluated and pass', async () => {
    const file = await load(tests);
    const kinds = Object.fromEntries(
      [...file.alarms].map(([name, a]) => [
        name,
        'math' in a ? 'math' : 'composite' in a ? 'composite' : 'definition' in a ? 'metric' : 'refused',
      ]),
    );
    expect(kinds).toEqual({
      'orders error rate': 'math',
      throttles: 'math',
      DeploymentInProgress: 'metric',
      'latency anomaly': 'refused',
      'orders degraded': 'composite',
      'page on-call': 'composite',
    });
    const results = runAlarmTestFile(file);
    expect(results.flatMap((r) => r.expectations.filter((e) => !e.passed))).toEqual([]);
    const coverage = buildAlarmCoverage([file]);
    expect(coverage.untested.map((u) => u.alarm)).toEqual(['latency anomaly']);
  });

  test('a composite over the anomaly-detection alarm is refused, naming it', async () => {
    const file = join(dir, 'composite-over-anomaly.alarms.yaml');
    writeFileSync(
      file,
      `templates: [${JSON.stringify(templateFile)}]
alarms:
  - { AlarmName: watch latency, AlarmRule: 'ALARM("latency anomaly") OR ALARM(throttles)' }
tests:
  - name: t
    expect: [{ at: 1m, alarm: watch latency, state: OK }]
`,
    );
    await expect(loadAlarmTestFile(file)).rejects.toThrow(
      /composite alarm "watch latency" depends on "latency anomaly" \(.*\): anomaly detection alarms/,
    );
  });

  test('the anomaly-detection alarm is refused in one sentence when a test names it', async () => {
    const error = await load(
      'tests:\n  - name: t\n    expect: [{ at: 1m, alarm: latency anomaly, state: OK }]\n',
    ).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(
      /alarm "latency anomaly" \(.*\): anomaly detection alarms \(ThresholdMetricId\) compare the metric with a band from a model CloudWatch trains on its history, which cannot be reproduced offline/,
    );
  });
});
