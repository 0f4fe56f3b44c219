import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import { ordersSuite, parseSuite, writeFixtureCanaryZip } from '../test-support/infra-fixtures.ts';
import { createOpsproofApp } from './create-app.ts';
import { countAlarms } from './estimate-cost.ts';
import type { PackagedCanary } from './synthetics-canaries.ts';

const templates = new Map<string, Template>();
let canaries: PackagedCanary[];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-tiers-'));
  canaries = [await writeFixtureCanaryZip(dir, 'checkout')];
  const { app, stacks } = createOpsproofApp({
    suite: parseSuite(ordersSuite),
    canaries,
    outdir: join(dir, 'cdk.out'),
  });
  const assembly = app.synth();
  for (const s of stacks)
    templates.set(s.stackName, Template.fromJSON(assembly.getStackByName(s.stackName).template));
});

test('a stack per aws environment: dev, staging and prod', () => {
  expect([...templates.keys()]).toEqual(['Orders-Dev', 'Orders-Staging', 'Orders-Prod']);
});

test.each([
  // stack, threshold, period, evaluation periods, datapoints to alarm, severity topic
  ['Orders-Dev', 0.05, 300, 3, 3, 'Warning'],
  ['Orders-Staging', 0.01, 60, 5, 3, 'Critical'],
  ['Orders-Prod', 0.01, 60, 3, 2, 'Critical'],
])(
  '%s: Lambda error rate > %d over %ds, %d periods, %d to alarm, routed to %s',
  (stack, threshold, period, n, m, topic) => {
    const template = templates.get(stack) as Template;
    const tier = stack.split('-')[1]?.toLowerCase();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `orders-${tier}-Lambda-orders-ErrorRate`,
      Threshold: threshold,
      EvaluationPeriods: n,
      DatapointsToAlarm: m,
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(denominator > 0, numerator / denominator, 0)' }),
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'Errors' }),
            Period: period,
          }),
        }),
      ]),
      AlarmActions: [{ Ref: Match.stringLikeRegexp(`AlertRouting${topic}Topic`) }],
    });
  },
);

describe.each(['Orders-Dev', 'Orders-Staging', 'Orders-Prod'])('%s', (stack) => {
  const template = () => templates.get(stack) as Template;

  test('service alarms for every named resource: error rate, p99, throttles, 5XX, API p99, DLQ depth', () => {
    for (const suffix of [
      'Lambda-orders-ErrorRate',
      'Lambda-orders-DurationP99',
      'Lambda-orders-Throttles',
      'Api-orders-api-5xxRate',
      'Api-orders-api-LatencyP99',
      'Dlq-orders-dlq-Depth',
      'Canary-checkout-Success',
    ]) {
      template().hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: Match.stringLikeRegexp(`-${suffix}$`),
      });
    }
    template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: 'orders-dlq' }],
    });
  });

  test('a canary that stops reporting is breaching; info alarms notify on ALARM only', () => {
    template().hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('-Canary-checkout-Success$'),
      TreatMissingData: 'breaching',
      ComparisonOperator: 'LessThanThreshold',
    });
    const alarms = Object.values(template().findResources('AWS::CloudWatch::Alarm'));
    for (const alarm of alarms) {
      const info = /Severity: info\./.test(alarm.Properties.AlarmDescription);
      expect(alarm.Properties.OKActions === undefined, alarm.Properties.AlarmName).toBe(info);
    }
  });

  test('email and HTTPS (Slack, PagerDuty) subscriptions per severity', () => {
    template().hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template().hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://events.pagerduty.com/integration/abc/enqueue',
    });
    template().hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://hooks.slack.com/services/T000/B000/XXXX',
    });
    template().resourceCountIs('AWS::SNS::Subscription', 4);
  });

  test('an experiment without stop condition stops on an independent guardrail', () => {
    // Dev's service-down composite is made of canary alarms only; in staging and prod it includes the
    // Lambda error-rate alarm under test, so the canary alarm is the guardrail.
    const guardrail = stack === 'Orders-Dev' ? 'ServiceDown' : 'Canarycheckout';
    template().hasResourceProperties('AWS::FIS::ExperimentTemplate', {
      StopConditions: [
        {
          Source: 'aws:cloudwatch:alarm',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp(guardrail), 'Arn'] },
        },
      ],
    });
  });

  test('the dashboard shows canaries, alarms and the KPIs', () => {
    const dashboards = Object.values(template().findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const text of [
      'Canaries: SuccessPercent',
      'Alarms',
      'KPI p99',
      'KPI error rate',
      'KPI availability',
      'orders: duration',
    ]) {
      expect(body).toContain(text);
    }
  });
});

test('dev does not page: no critical-severity alarm', () => {
  const alarms = Object.values(
    (templates.get('Orders-Dev') as Template).findResources('AWS::CloudWatch::Alarm'),
  );
  expect(alarms.filter((a) => /Severity: critical/.test(a.Properties.AlarmDescription))).toEqual([]);
});

test('a stop condition on an alarm the experiment is meant to trigger is refused', () => {
  const suite = parseSuite({
    ...ordersSuite,
    experiments: {
      bad: {
        ...(ordersSuite.experiments?.['lambda-errors'] as object),
        actions: { wait: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' } } },
        stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'Lambda-orders-ErrorRate' }],
      },
    },
  });
  expect(() => createOpsproofApp({ suite, canaries, envNames: ['staging'], nag: false })).toThrow(
    /meant to trigger/,
  );
});

test('an unknown stop-condition alarm is refused with the names that exist', () => {
  const suite = parseSuite({
    ...ordersSuite,
    experiments: {
      bad: {
        actions: { wait: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1M' } } },
        stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'NoSuchAlarm' }],
      },
    },
  });
  expect(() => createOpsproofApp({ suite, canaries, envNames: ['staging'], nag: false })).toThrow(
    /"NoSuchAlarm" is not deployed; known: .*ServiceDown/,
  );
});

test.each([
  ['Orders-Dev', 'dev'],
  ['Orders-Prod', 'prod'],
])('the cost estimate counts the alarms %s deploys', (stack, env) => {
  const template = templates.get(stack) as Template;
  let metrics = 0;
  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
    const math = alarm.Properties.Metrics as { MetricStat?: unknown }[] | undefined;
    metrics += math ? math.filter((m) => m.MetricStat).length : 1;
  }
  const composite = Object.keys(template.findResources('AWS::CloudWatch::CompositeAlarm')).length;
  expect(countAlarms(parseSuite(ordersSuite), env, canaries)).toEqual({
    standard: metrics,
    highResolution: 0,
    composite,
  });
});

test('devFrom adds a relaxed dev stack with its own prefixes', () => {
  const { dev: _dev, ...environments } = parseSuite(ordersSuite).environments;
  const suite = { ...parseSuite(ordersSuite), environments };
  const { app, stacks } = createOpsproofApp({
    suite,
    canaries,
    envNames: ['staging'],
    devFrom: 'staging',
    nag: false,
  });
  expect(stacks.map((s) => s.stackName)).toEqual(['Orders-Staging', 'Orders-Dev']);
  const template = Template.fromJSON(app.synth().getStackByName('Orders-Dev').template);
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    AlarmName: 'orders-dev-Lambda-orders-ErrorRate',
    Threshold: 0.05,
  });
  template.hasResourceProperties('AWS::Synthetics::Canary', { Name: 'dev-checkout' });
});
