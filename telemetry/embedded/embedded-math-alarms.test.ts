import { describe, expect, test } from 'vitest';
import { createManualClock } from '../../core/clock.ts';
import type { AlarmDefinition, CompositeAlarmDefinition, MathAlarmDefinition } from '../../core/schema.ts';
import { Timeline } from '../../core/timeline.ts';
import { EmbeddedTelemetry } from './embedded-telemetry.ts';

// The embedded provider evaluates the kinds of alarm infra/ deploys — a guarded error-rate ratio
// over the gateway's request metrics (API Gateway shape: Count and 5XXError, one sample per request)
// and composites over it, nested — with the same evaluator as `opsproof alarms test`.
const api = [{ Name: 'ApiName', Value: 'demo' }];
const errorRate: MathAlarmDefinition = {
  AlarmName: 'ApiErrorRate',
  Metrics: [
    {
      Id: 'errors',
      MetricStat: {
        Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Dimensions: api },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: false,
    },
    {
      Id: 'requests',
      MetricStat: {
        Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: api },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: false,
    },
    { Id: 'rate', Expression: 'IF(requests > 0, errors / requests, 0)', ReturnData: true },
  ],
  EvaluationPeriods: 3,
  DatapointsToAlarm: 2,
  Threshold: 0.05,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
  severity: 'critical',
};
const deploying: AlarmDefinition = {
  AlarmName: 'Deploy in progress',
  Namespace: 'Deploy',
  MetricName: 'InProgress',
  Statistic: 'Maximum',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  TreatMissingData: 'notBreaching',
  severity: 'info',
};
const composites: CompositeAlarmDefinition[] = [
  // Listed parent first: the provider still evaluates children first.
  { AlarmName: 'Top', AlarmRule: 'ALARM(Paging)', severity: 'critical' },
  {
    AlarmName: 'Paging',
    AlarmRule: 'ALARM(ApiErrorRate) AND NOT ALARM("Deploy in progress")',
    severity: 'critical',
  },
];

describe('math and composite alarms in the embedded provider', () => {
  test('a ratio alarm fed by request metrics fires and recovers; composites follow in the same evaluation', async () => {
    const clock = createManualClock();
    const timeline = new Timeline(clock);
    const telemetry = new EmbeddedTelemetry({
      alarms: [deploying],
      mathAlarms: [errorRate],
      compositeAlarms: composites,
      timeScale: 30,
      clock,
      timeline,
    });
    const changes: string[] = [];
    telemetry.onAlarmStateChange((c) => changes.push(`${c.alarmName}:${c.newState}`));
    // One wall second = 30 s of alarm time: 10 requests, `errors` of them 5XX.
    const second = async (errors: number) => {
      const fives = Array.from({ length: 10 }, (_, i) => (i < errors ? 1 : 0));
      await telemetry.putMetricData('AWS/ApiGateway', [
        { MetricName: 'Count', Dimensions: api, Values: [1], Counts: [10] },
        { MetricName: '5XXError', Dimensions: api, Values: fives, Counts: fives.map(() => 1) },
      ]);
      await clock.advance(1000);
      telemetry.evaluateAlarmsNow();
    };
    for (let s = 0; s < 4; s++) await second(0);
    expect(await telemetry.getAlarmState('ApiErrorRate')).toBe('OK');
    expect(await telemetry.getAlarmState('Top')).toBe('OK');
    for (let s = 0; s < 4; s++) await second(3);
    // Two minutes at 3/10 = 0.3 > 0.05: 2 of 3 → ALARM; Paging (no deploy) and Top with it.
    expect(await telemetry.getAlarmState('ApiErrorRate')).toBe('ALARM');
    expect(await telemetry.getAlarmState('Paging')).toBe('ALARM');
    expect(await telemetry.getAlarmState('Top')).toBe('ALARM');
    const alarmAt = changes.indexOf('ApiErrorRate:ALARM');
    expect(changes.slice(alarmAt, alarmAt + 3)).toEqual(['ApiErrorRate:ALARM', 'Paging:ALARM', 'Top:ALARM']);
    const [paging] = (await telemetry.getAlarmHistory('Paging', { from: new Date(0) })).filter(
      (h) => h.newState === 'ALARM',
    );
    expect(paging!.reason).toMatch(
      /^ApiErrorRate transitioned to ALARM at \w+day \d\d January, 2026 00:00:\d\d UTC$/,
    );
    const math = telemetry.lastEvaluation('ApiErrorRate')!;
    expect(math.reason).toMatch(/^Threshold Crossed: 2 out of the last 3 datapoints \[0\.3 .*, 0\.3 .*\]/);
    for (let s = 0; s < 6; s++) await second(0);
    expect(await telemetry.getAlarmState('ApiErrorRate')).toBe('OK');
    expect(await telemetry.getAlarmState('Top')).toBe('OK');
    expect(timeline.records().filter((r) => r.type === 'alarm.state').length).toBe(changes.length);
  });

  test('a deploy in progress holds the composite back (NOT), with the same error burst', async () => {
    const clock = createManualClock();
    const telemetry = new EmbeddedTelemetry({
      alarms: [deploying],
      mathAlarms: [errorRate],
      compositeAlarms: composites,
      timeScale: 30,
      clock,
    });
    for (let s = 0; s < 8; s++) {
      await telemetry.putMetricData('Deploy', [{ MetricName: 'InProgress', Value: 1 }]);
      await telemetry.putMetricData('AWS/ApiGateway', [
        { MetricName: 'Count', Dimensions: api, Values: [1], Counts: [10] },
        { MetricName: '5XXError', Dimensions: api, Values: [1], Counts: [s < 4 ? 0 : 3] },
      ]);
      await clock.advance(1000);
      telemetry.evaluateAlarmsNow();
    }
    expect(await telemetry.getAlarmState('ApiErrorRate')).toBe('ALARM');
    expect(await telemetry.getAlarmState('Deploy in progress')).toBe('ALARM');
    expect(await telemetry.getAlarmState('Paging')).toBe('OK');
    expect(await telemetry.getAlarmState('Top')).toBe('OK');
  });

  test('an alarm whose Metrics cannot be evaluated is refused when added', () => {
    const telemetry = new EmbeddedTelemetry();
    expect(() =>
      telemetry.addMathAlarm({
        ...errorRate,
        Metrics: [
          { ...errorRate.Metrics[0]!, Id: 'm1' },
          { Id: 'band', Expression: 'ANOMALY_DETECTION_BAND(m1)', ReturnData: true },
        ],
      }),
    ).toThrow(/ANOMALY_DETECTION_BAND needs the anomaly detection model/);
  });
});
