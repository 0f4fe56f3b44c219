import { expect, test } from 'vitest';
import { MetricStore, metricKey } from './metric-store.ts';

test('dimension order does not change the identity of a metric', () => {
  const a = metricKey({
    Namespace: 'N',
    MetricName: 'M',
    Dimensions: [
      { Name: 'b', Value: '2' },
      { Name: 'a', Value: '1' },
    ],
  });
  const b = metricKey({
    Namespace: 'N',
    MetricName: 'M',
    Dimensions: [
      { Name: 'a', Value: '1' },
      { Name: 'b', Value: '2' },
    ],
  });
  expect(a).toBe(b);
});

test('stores values, value/count arrays and statistic sets; evicts the oldest beyond the bound', () => {
  const store = new MetricStore({ maxSamplesPerSeries: 3 });
  const t = new Date('2026-01-01T00:00:00Z');
  store.put('Demo', [
    { MetricName: 'Latency', Value: 5, Timestamp: t },
    { MetricName: 'Latency', Values: [1, 2], Counts: [10, 20], Timestamp: t },
    {
      MetricName: 'Latency',
      StatisticValues: { SampleCount: 2, Sum: 3, Minimum: 1, Maximum: 2 },
      Timestamp: t,
    },
  ]);
  const series = store.get({ Namespace: 'Demo', MetricName: 'Latency' })!;
  expect(series.samples.map((s) => [s.value, s.count])).toEqual([
    [5, 1],
    [1, 10],
    [2, 20],
  ]);
  expect(series.statisticSets).toHaveLength(1);
  store.put('Demo', [{ MetricName: 'Latency', Value: 9, Timestamp: t }]);
  expect(series.samples.map((s) => s.value)).toEqual([1, 2, 9]);
  expect(store.evicted).toBe(1);
  expect(store.list({ Namespace: 'Demo' })).toHaveLength(1);
});
