import { describe, expect, test } from 'vitest';
import { type ExperimentInput, experimentSchema } from '../core/schema.ts';
import { ordersSuite, parseSuite } from '../test-support/infra-fixtures.ts';
import {
  actionMinutes,
  countAlarms,
  estimateCost,
  formatCostBreakdown,
  runsPerMonth,
} from './estimate-cost.ts';

test.each([
  ['rate(5 minutes)', 8760],
  ['rate(1 minute)', 43800],
  ['rate(1 hour)', 730],
  ['rate(2 hours)', 365],
  ['rate(0 minutes)', 0],
  ['cron(0 12 * * ? *)', undefined],
])('runsPerMonth(%s) = %s', (schedule, runs) => {
  expect(runsPerMonth(schedule)).toBe(runs);
});

const action = (actionId: string, parameters: Record<string, string> = {}): ExperimentInput => ({
  actions: { a: { actionId, parameters } },
});

test.each([
  [action('aws:lambda:invocation-error', { duration: 'PT20S' }), 1], // rounds to 0, billed at least 1
  [action('aws:lambda:invocation-error', { duration: 'PT2M' }), 2],
  [action('aws:lambda:invocation-add-delay', { duration: 'PT10M40S' }), 11],
  [action('aws:ecs:stop-task'), 1],
  [
    {
      actions: {
        a: { actionId: 'aws:fis:wait', parameters: { duration: 'PT5M' } },
        b: { actionId: 'aws:lambda:invocation-error', parameters: { duration: 'PT3M' }, startAfter: ['a'] },
      },
    },
    8,
  ],
])('actionMinutes %# = %d', (input, minutes) => {
  expect(actionMinutes(experimentSchema.parse(input))).toBe(minutes);
});

const suite = parseSuite({
  ...ordersSuite,
  alarms: [
    {
      AlarmName: 'Fast5xx',
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Sum',
      Period: 10,
      EvaluationPeriods: 3,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      severity: 'critical',
    },
  ],
  drills: {
    alert: { kind: 'alert', experiment: 'lambda-errors', alarm: 'Lambda-orders-ErrorRate' },
  },
});
const canaries = [
  { name: 'checkout', schedule: 'rate(5 minutes)', type: 'browser' as const },
  { name: 'health', schedule: 'rate(1 minute)', type: 'api' as const },
];

describe('estimateCost (orders, prod)', () => {
  const b = estimateCost(suite, 'prod', canaries);
  const cost = (item: string) => b.lines.find((l) => l.item === item);

  test.each([
    // item, quantity, monthly USD
    ['Synthetics canary runs', 52560, 63.072],
    // 3 Lambda (error rate reads 2 metrics) + 2 API + 1 DLQ = 7 alarm metrics, + 2 canary alarms
    ['CloudWatch alarms (standard)', 9, 0.9],
    ['CloudWatch alarms (high resolution)', 1, 0.3],
    ['CloudWatch composite alarms', 1, 0.5],
    ['CloudWatch dashboards', 1, 3],
    // one drill a quarter of a 2-minute experiment
    ['FIS action-minutes', 0.67, 0.0667],
    ['KMS keys (alert topics, FIS logs)', 2, 2],
    // 50 notifications × 2 email subscriptions = 100 emails = 0.001 × 100k
    ['SNS email deliveries', 0.001, 0.002],
  ])('%s: %d → $%d', (item, quantity, usd) => {
    expect(cost(item)?.quantity).toBeCloseTo(quantity, 2);
    expect(cost(item)?.monthlyUsd).toBeCloseTo(usd, 3);
  });

  test('the total is the sum of its lines and the prices are stated', () => {
    expect(b.totalUsd).toBeCloseTo(
      b.lines.reduce((s, l) => s + l.monthlyUsd, 0),
      2,
    );
    expect(b.prices).toMatchObject({ region: 'us-east-1', asOf: '2026-11-22', canaryRun: 0.0012 });
    const text = formatCostBreakdown(b);
    expect(text).toContain('us-east-1 list prices as of 2026-11-22');
    expect(text).toMatch(/Synthetics canary runs\s+52560 runs\s+\$0\.0012\s+\$63\.07/);
  });

  test('more drills per quarter cost more FIS minutes', () => {
    const more = estimateCost(suite, 'prod', canaries, { assumptions: { drillsPerQuarter: 3 } });
    expect(more.lines.find((l) => l.item === 'FIS action-minutes')?.quantity).toBe(2);
  });

  test('a cron schedule is reported, not guessed', () => {
    const cron = estimateCost(suite, 'prod', [{ name: 'nightly', schedule: 'cron(0 3 * * ? *)' }]);
    expect(cron.notes.join('\n')).toMatch(/nightly: schedule cron\(0 3 \* \* \? \*\) is not a rate\(\)/);
  });
});

test('dev and prod deploy the same alarm set: tiers change thresholds, not which alarms exist', () => {
  const dev = countAlarms(suite, 'dev', canaries);
  const prod = countAlarms(suite, 'prod', canaries);
  expect(dev).toEqual(prod);
});

test('an unknown environment is an error', () => {
  expect(() => estimateCost(suite, 'qa', canaries)).toThrow(/unknown environment "qa"/);
});
