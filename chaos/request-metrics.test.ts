import { expect, test } from 'vitest';
import { createManualClock } from '../core/clock.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { MetricDatum } from '../telemetry/types.ts';
import { startRequestMetrics } from './request-metrics.ts';

function sink(fail = false) {
  const puts: { namespace: string; data: MetricDatum[] }[] = [];
  const telemetry = {
    putMetricData: async (namespace: string, data: MetricDatum[]) => {
      if (fail) throw new Error('sink down');
      puts.push({ namespace, data });
    },
  } as unknown as Telemetry;
  return { telemetry, puts };
}

test('a flush writes one API Gateway-shaped batch: counts, 0/1 error rates, a latency histogram', async () => {
  const { telemetry, puts } = sink();
  const metrics = startRequestMetrics({ telemetry, apiName: 'orders', clock: createManualClock() });
  metrics.record(200, 10.04);
  metrics.record(200, 10.01);
  metrics.record(404, 3);
  metrics.record(503, 7);
  // No HTTP answer (reset, abandoned blackhole): a 5XX, as API Gateway would answer.
  metrics.record(0, 1000);
  await metrics.flush();
  await metrics.flush();
  metrics.stop();
  expect(puts).toHaveLength(1);
  const [{ namespace, data }] = puts as [(typeof puts)[0]];
  expect(namespace).toBe('AWS/ApiGateway');
  const byName = Object.fromEntries(data.map((d) => [d.MetricName, d]));
  expect(byName.Count).toMatchObject({
    Values: [1],
    Counts: [5],
    Dimensions: [{ Name: 'ApiName', Value: 'orders' }],
  });
  expect(byName['4XXError']).toMatchObject({ Values: [0, 1], Counts: [4, 1] });
  expect(byName['5XXError']).toMatchObject({ Values: [0, 1], Counts: [3, 2] });
  expect(byName.Latency).toMatchObject({
    Values: [10, 3, 7, 1000],
    Counts: [2, 1, 1, 1],
    Unit: 'Milliseconds',
  });
  expect(byName.Count?.Timestamp).toEqual(new Date('2026-01-01T00:00:00Z'));
});

test('a failing sink does not throw: metrics are best effort', async () => {
  const { telemetry } = sink(true);
  const metrics = startRequestMetrics({ telemetry, apiName: 'x', clock: createManualClock() });
  metrics.record(200, 1);
  await expect(metrics.flush()).resolves.toBeUndefined();
  metrics.stop();
});
