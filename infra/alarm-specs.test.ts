import { describe, expect, test } from 'vitest';
import { buildCanaryAlarmSpec, buildServiceAlarmSpecs } from './alarm-specs.ts';
import { monitoringProfile, resolveTier } from './monitoring-profile.ts';

describe('buildServiceAlarmSpecs', () => {
  test.each([
    [{}, 0],
    [{ lambdaFunctions: ['a'] }, 3],
    [{ apiGateways: ['a', 'b'] }, 4],
    [{ dlqNames: ['q'] }, 1],
    [{ lambdaFunctions: ['a'], apiGateways: ['a'], dlqNames: ['q'] }, 6],
  ])('%o → %d alarms', (resources, count) => {
    expect(buildServiceAlarmSpecs(resources, monitoringProfile('staging'))).toHaveLength(count);
  });

  test.each([
    // tier, error-rate threshold, p99 ms, period, N, M, DLQ threshold
    ['dev', 0.05, 5000, 300, 3, 3, 10],
    ['staging', 0.01, 3000, 60, 5, 3, 0],
    ['prod', 0.01, 3000, 60, 3, 2, 0],
  ] as const)(
    '%s follows the operations docs (error rate %d, p99 %d ms)',
    (tier, rate, p99, period, n, m, dlq) => {
      const specs = buildServiceAlarmSpecs(
        { lambdaFunctions: ['f'], dlqNames: ['q'] },
        monitoringProfile(tier),
      );
      const byId = Object.fromEntries(specs.map((s) => [s.id, s]));
      expect(byId['Lambda-f-ErrorRate']?.policy).toMatchObject({
        threshold: rate,
        period,
        evaluationPeriods: n,
        datapointsToAlarm: m,
      });
      expect(byId['Lambda-f-DurationP99']?.policy.threshold).toBe(p99);
      expect(byId['Dlq-q-Depth']?.policy.threshold).toBe(dlq);
    },
  );

  test('prod is at least as strict as staging, staging stricter than dev', () => {
    const [dev, staging, prod] = (['dev', 'staging', 'prod'] as const).map(monitoringProfile);
    for (const key of ['lambdaErrorRate', 'apiErrorRate', 'lambdaP99Ms', 'apiP99Ms', 'dlqDepth'] as const) {
      expect(prod?.[key].threshold).toBeLessThanOrEqual(staging?.[key].threshold as number);
      expect(staging?.[key].threshold).toBeLessThan(dev?.[key].threshold as number);
      const window = (p: { period: number; evaluationPeriods: number }) => p.period * p.evaluationPeriods;
      expect(window(prod?.[key] as never)).toBeLessThanOrEqual(window(staging?.[key] as never));
    }
  });

  test('the canary alarm watches the deployed name', () => {
    expect(buildCanaryAlarmSpec('demo-health', monitoringProfile('prod')).metric).toMatchObject({
      namespace: 'CloudWatchSynthetics',
      metricName: 'SuccessPercent',
      dimensions: { CanaryName: 'demo-health' },
    });
  });
});

test.each([
  [{ tier: 'dev' as const, production: true }, 'dev'],
  [{ production: true }, 'prod'],
  [{ production: false }, 'staging'],
])('resolveTier(%o) = %s', (env, tier) => {
  expect(resolveTier(env)).toBe(tier);
});
