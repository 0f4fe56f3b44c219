import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, expect, test } from 'vitest';
import { ordersSuite, parseSuite, writeFixtureCanaryZip } from '../test-support/infra-fixtures.ts';
import { createOpsproofApp } from './create-app.ts';

// Suite math and composite alarms next to the service and canary alarms the stack derives itself.
let template: Template;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-alarm-factory-'));
  const canaries = [await writeFixtureCanaryZip(dir, 'checkout')];
  const suite = parseSuite({
    ...ordersSuite,
    alarms: [
      {
        AlarmName: 'OrderRate',
        Metrics: [
          {
            Id: 'orders',
            MetricStat: { Metric: { Namespace: 'Orders', MetricName: 'Placed' }, Period: 300, Stat: 'Sum' },
            ReturnData: false,
          },
          { Id: 'perMinute', Expression: 'orders / PERIOD(orders) * 60', Label: 'orders per minute' },
        ],
        EvaluationPeriods: 2,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      },
      {
        AlarmName: 'OrdersDegraded',
        AlarmRule:
          'ALARM(Lambda-orders-ErrorRate) OR ALARM(OrderRate) OR ALARM("Canary-checkout-Success") OR ALARM(LegacyAlarm)',
        severity: 'critical',
      },
    ],
  });
  const { app, stacks } = createOpsproofApp({ suite, canaries, outdir: join(dir, 'cdk.out') });
  const assembly = app.synth();
  const staging = stacks.find((s) => s.stackName === 'Orders-Staging')!;
  template = Template.fromJSON(assembly.getStackByName(staging.stackName).template);
});

test('a math suite alarm is deployed with its Metrics as written and nothing of a single metric', () => {
  const [alarm] = Object.values(
    template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmName: 'orders-staging-OrderRate' },
    }),
  );
  expect(alarm?.Properties).toMatchObject({
    Metrics: [
      {
        Id: 'orders',
        MetricStat: { Metric: { Namespace: 'Orders', MetricName: 'Placed' }, Period: 300, Stat: 'Sum' },
        ReturnData: false,
      },
      { Id: 'perMinute', Expression: 'orders / PERIOD(orders) * 60', Label: 'orders per minute' },
    ],
    EvaluationPeriods: 2,
    DatapointsToAlarm: 2,
    TreatMissingData: 'breaching',
  });
  for (const key of ['Namespace', 'MetricName', 'Statistic', 'Period', 'Dimensions']) {
    expect(alarm?.Properties, key).not.toHaveProperty(key);
  }
});

test('a composite suite alarm names the prefixed suite, service and canary alarms, keeps an account alarm, and is created after them', () => {
  const found = template.findResources('AWS::CloudWatch::CompositeAlarm', {
    Properties: { AlarmName: 'orders-staging-OrdersDegraded' },
  });
  const [composite] = Object.values(found);
  expect(composite?.Properties.AlarmRule).toBe(
    'ALARM("orders-staging-Lambda-orders-ErrorRate") OR ALARM("orders-staging-OrderRate") OR ALARM("orders-staging-Canary-checkout-Success") OR ALARM("LegacyAlarm")',
  );
  const idOf = (name: string) =>
    Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }))[0];
  const children = [
    'orders-staging-Lambda-orders-ErrorRate',
    'orders-staging-OrderRate',
    'orders-staging-Canary-checkout-Success',
  ].map(idOf);
  expect(children.every((id) => id !== undefined)).toBe(true);
  expect([...((composite?.DependsOn ?? []) as string[])].sort()).toEqual([...children].sort());
  // Critical: it pages (ALARM and OK actions to the critical topic).
  expect(JSON.stringify(composite?.Properties.AlarmActions)).toContain('Critical');
});
