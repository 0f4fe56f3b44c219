import { describe, expect, test } from 'vitest';
import { diagnosticsFromZod } from './diagnostics.ts';
import { type MathAlarmDefinition, type SuiteInput, suiteSchema } from './schema.ts';
import { buildDeployedSuiteAlarm, buildRenamedAlarmRule, splitSuiteAlarms } from './suite-alarms.ts';

const prefixed = (name: string) => `stg-${name}`;

describe('buildRenamedAlarmRule', () => {
  test.each([
    ['ALARM(A)', 'ALARM("stg-A")'],
    ['ALARM(A) OR OK(B)', 'ALARM("stg-A") OR OK("stg-B")'],
    ['INSUFFICIENT_DATA( "Name with spaces" )', 'INSUFFICIENT_DATA("stg-Name with spaces")'],
    ['ALARM("say \\"hi\\"")', 'ALARM("stg-say \\"hi\\"")'],
    ['NOT (ALARM(A) AND TRUE) OR FALSE', 'NOT (ALARM("stg-A") AND TRUE) OR FALSE'],
    [
      'ALARM(arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Other) AND ALARM(A)',
      'ALARM(arn:aws:cloudwatch:eu-west-1:123456789012:alarm:Other) AND ALARM("stg-A")',
    ],
    ['ALARM (A)', 'ALARM ("stg-A")'],
    // A name that merely contains a state function's name is one alarm name.
    ['ALARM(MyALARM) OR ALARM(OK)', 'ALARM("stg-MyALARM") OR ALARM("stg-OK")'],
  ])('%s → %s', (rule, renamed) => {
    expect(buildRenamedAlarmRule(rule, prefixed)).toBe(renamed);
  });
});

const errorRate: MathAlarmDefinition = {
  AlarmName: 'ErrorRate',
  Metrics: [
    {
      Id: 'failed',
      MetricStat: {
        Metric: {
          Namespace: 'CloudWatchSynthetics',
          MetricName: 'Failed',
          Dimensions: [{ Name: 'CanaryName', Value: 'checkout' }],
        },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: false,
    },
    { Id: 'rate', Expression: 'failed * 100' },
  ],
  EvaluationPeriods: 3,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'missing',
  severity: 'warning',
};

describe('buildDeployedSuiteAlarm', () => {
  test('a math alarm: prefixed, the canary dimension deployed, N of N, the expression untouched', () => {
    const deployed = buildDeployedSuiteAlarm(errorRate, {
      alarmPrefix: 'stg-',
      canaryName: (n) => (n === 'checkout' ? `demo-${n}` : undefined),
    });
    expect(deployed.AlarmName).toBe('stg-ErrorRate');
    expect(deployed.DatapointsToAlarm).toBe(3);
    expect(deployed.Metrics[0]?.MetricStat?.Metric.Dimensions).toEqual([
      { Name: 'CanaryName', Value: 'demo-checkout' },
    ]);
    expect(deployed.Metrics[1]).toEqual(errorRate.Metrics[1]);
    // The suite's own definition is not changed.
    expect(errorRate.Metrics[0]?.MetricStat?.Metric.Dimensions?.[0]?.Value).toBe('checkout');
  });

  test("a composite naming an alarm the environment does not deploy keeps that alarm's name", () => {
    const deployed = buildDeployedSuiteAlarm(
      { AlarmName: 'Down', AlarmRule: 'ALARM(ErrorRate) OR ALARM(LegacyAlarm)', severity: 'warning' },
      { alarmPrefix: 'stg-', isDeployed: (name) => name !== 'LegacyAlarm' },
    );
    expect(deployed.AlarmRule).toBe('ALARM("stg-ErrorRate") OR ALARM("LegacyAlarm")');
  });

  test('a composite: its name and the alarms its rule names are prefixed', () => {
    const deployed = buildDeployedSuiteAlarm(
      { AlarmName: 'Down', AlarmRule: 'ALARM(ErrorRate) AND NOT OK("Slow api")', severity: 'critical' },
      { alarmPrefix: 'stg-' },
    );
    expect(deployed).toEqual({
      AlarmName: 'stg-Down',
      AlarmRule: 'ALARM("stg-ErrorRate") AND NOT OK("stg-Slow api")',
      severity: 'critical',
    });
  });
});

describe("the suite's alarms take every kind, and a mistake is named in its own kind's terms", () => {
  const metric = {
    AlarmName: 'Errors',
    Namespace: 'N',
    MetricName: 'M',
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanThreshold',
  } as const;
  const parse = (alarms: unknown[]) => {
    const input = {
      service: 'svc',
      environments: { local: { target: 'http://127.0.0.1:1' } },
      alarms,
    } as unknown as SuiteInput;
    const result = suiteSchema.safeParse(input);
    return result.success
      ? { suite: result.data }
      : { diagnostics: diagnosticsFromZod(result.error, input).map((d) => `${d.path}: ${d.message}`) };
  };

  test('single-metric, math and composite alarms load, each in its kind', () => {
    const { suite } = parse([metric, errorRate, { AlarmName: 'Down', AlarmRule: 'ALARM(Errors)' }]);
    const kinds = splitSuiteAlarms(suite?.alarms ?? []);
    expect(kinds.metric.map((a) => a.AlarmName)).toEqual(['Errors']);
    expect(kinds.math.map((a) => a.AlarmName)).toEqual(['ErrorRate']);
    expect(kinds.composite.map((a) => a.AlarmName)).toEqual(['Down']);
    expect(kinds.composite[0]?.severity).toBe('warning');
  });

  test.each([
    [{ ...metric, Statistic: undefined, Statistc: 'Sum' }, 'alarms[0]: unknown key "Statistc"'],
    [{ ...metric, Period: 61 }, 'alarms[0].Period: expected 10, 20, 30 or a multiple of 60, got 61'],
    [
      { ...errorRate, Metrics: [{ Id: 'E', Expression: 'm1' }] },
      'alarms[0].Metrics[0].Id: expected an id starting with a lower-case letter, got "E"',
    ],
    [{ AlarmName: 'Down', AlarmRule: 'ALARM(Errors)', Threshold: 3 }, 'alarms[0]: unknown key "Threshold"'],
  ])('%o → %s', (alarm, diagnostic) => {
    expect(parse([alarm]).diagnostics).toContain(diagnostic);
  });
});
