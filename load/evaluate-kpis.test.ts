import { expect, test } from 'vitest';
import type { LoadSummary } from '../core/run-result.ts';
import { KPI_SYNTAX_HINT, parseThreshold } from '../core/threshold.ts';
import { buildKpiThresholds, evaluateGeneratorKeptUp, evaluateKpis } from './evaluate-kpis.ts';
import { createHistogram, encodeHistogram, recordMs } from './histogram.ts';

function summaryOf(over: Partial<LoadSummary> = {}): LoadSummary {
  const histogram = createHistogram();
  for (let i = 1; i <= 1000; i++) recordMs(histogram, i);
  return {
    engine: 'open',
    model: 'open',
    profile: 'p',
    target: 'http://127.0.0.1:1',
    requests: 1000,
    rps: 100,
    errors: 5,
    errorRate: 0.005,
    dropped: 0,
    durationMs: 10_000,
    latencyMs: { min: 1, mean: 500.5, p50: 500, p90: 900, p95: 950, p99: 990, p999: 999, max: 1000 },
    statusCodes: { '200': 995, '500': 5 },
    histogram: encodeHistogram(histogram),
    ...over,
  };
}

test.each([
  { kpi: 'p(95)<1000', status: 'passed', measured: 950, unit: 'ms' },
  { kpi: 'p(95)<900', status: 'failed', measured: 950, unit: 'ms' },
  { kpi: 'p(99)<=990', status: 'passed', measured: 990, unit: 'ms' },
  { kpi: 'p(75)<800', status: 'passed', measured: 750, unit: 'ms' },
  { kpi: 'avg<600', status: 'passed', measured: 500.5, unit: 'ms' },
  { kpi: 'med<400', status: 'failed', measured: 500, unit: 'ms' },
  { kpi: 'max<1000', status: 'failed', measured: 1000, unit: 'ms' },
  { kpi: 'rate<0.01', status: 'passed', measured: 0.005, unit: 'ratio' },
  { kpi: 'rate<0.001', status: 'failed', measured: 0.005, unit: 'ratio' },
  { kpi: 'rps>100', status: 'failed', measured: 100, unit: 'rps' },
  { kpi: 'rps>=100', status: 'passed', measured: 100, unit: 'rps' },
  { kpi: 'count>500', status: 'passed', measured: 1000, unit: 'requests' },
])('$kpi → $status (measured $measured $unit)', ({ kpi, status, measured, unit }) => {
  const [check] = evaluateKpis(buildKpiThresholds([kpi]), summaryOf());
  expect(check).toMatchObject({ kind: 'kpi', status, threshold: kpi, unit, id: `kpi:${kpi}` });
  expect(check!.measured as number).toBeCloseTo(measured, 0);
  expect(check!.message).toContain(status === 'passed' ? 'meets' : 'breaches');
});

test.each([
  { kpis: { p99: 1000 }, expected: ['p(99)<1000'] },
  {
    kpis: { p50: 100, p95: 300, errorRate: 0.01, minRps: 50 },
    expected: ['p(50)<100', 'p(95)<300', 'rate<0.01', 'rps>=50'],
  },
  // availability 99.9 % ⇔ error rate ≤ 0.001: two KPIs, two thresholds, both held.
  { kpis: { availability: 99.9, errorRate: 0.01 }, expected: ['rate<0.01', 'rate<=0.001'] },
  { kpis: { availability: 95, errorRate: 0.01 }, expected: ['rate<0.01', 'rate<=0.05'] },
  // Within one source nothing replaces anything; the same expression twice is one threshold.
  {
    kpis: { p99: 1000, thresholds: ['p(99)<800', 'rps<1000', 'p(99)<1000'] },
    expected: ['p(99)<1000', 'p(99)<800', 'rps<1000'],
  },
])('KPIs $kpis → thresholds $expected', ({ kpis, expected }) => {
  expect(buildKpiThresholds(kpis).map((t) => t.source)).toEqual(expected);
});

test('suite, environment, profile and --kpi overrides: last one wins per aggregate', () => {
  const thresholds = buildKpiThresholds(
    { p99: 1000, errorRate: 0.01 },
    { p99: 800 },
    ['p(95)<500'],
    ['p(99)<300', 'rps>10'],
  );
  expect(thresholds.map((t) => t.source)).toEqual(['rate<0.01', 'p(95)<500', 'p(99)<300', 'rps>10']);
});

test.each([
  // The same KPI key in a later source replaces it; other keys stay.
  {
    sources: [{ availability: 95, errorRate: 0.01 }, { errorRate: 0.02 }],
    expected: ['rate<=0.05', 'rate<0.02'],
  },
  {
    sources: [{ availability: 95, errorRate: 0.01 }, { availability: 99 }],
    expected: ['rate<0.01', 'rate<=0.01'],
  },
  // A `rate<…` expression is the errorRate KPI's key; availability is only replaced by availability.
  {
    sources: [{ availability: 95, errorRate: 0.01 }, [], ['rate<0.005']],
    expected: ['rate<=0.05', 'rate<0.005'],
  },
  { sources: [{ p99: 1000 }, { thresholds: ['p(99)<=900'] }], expected: ['p(99)<=900'] },
  { sources: [{ minRps: 10 }, ['rps>20', 'rps<1000']], expected: ['rps>20', 'rps<1000'] },
])('sources $sources → $expected', ({ sources, expected }) => {
  expect(
    buildKpiThresholds(...(sources as Parameters<typeof buildKpiThresholds>)).map((t) => t.source),
  ).toEqual(expected);
});

test('{ availability: 95, errorRate: 0.01 } yields two checks, each with its own verdict', () => {
  const checks = evaluateKpis(
    buildKpiThresholds({ availability: 95, errorRate: 0.01 }),
    summaryOf({ errorRate: 0.03, model: 'closed' }),
  );
  expect(checks.map((c) => [c.id, c.name, c.status, c.measured, c.unit])).toEqual([
    ['kpi:rate<0.01', 'error rate < 1 %', 'failed', 0.03, 'ratio'],
    ['kpi:rate<=0.05', 'error rate ≤ 5 % (availability 95 %)', 'passed', 0.03, 'ratio'],
  ]);
  expect(checks[0]!.message).toBe('error rate 3 % (limit < 1 %) breaches rate<0.01');
  expect(checks[1]!.message).toBe('error rate 3 % (limit ≤ 5 %) meets rate<=0.05');
});

test('a malformed expression (one the config validation would have refused) is a usage error with the one KPI hint', () => {
  expect(() => buildKpiThresholds(['p95<300'])).toThrow(
    expect.objectContaining({ message: '"p95<300" is not a threshold', hint: KPI_SYNTAX_HINT }),
  );
});

test.each([
  [{ p50: 100, p95: 300, p99: 1000 }, ['p(50)<100', 'p(95)<300', 'p(99)<1000']],
  [{ errorRate: 0.01, minRps: 50 }, ['rate<0.01', 'rps>=50']],
  [{ availability: 99.9 }, ['rate<=0.001']],
])('the KPIs %j are the thresholds %j, built as values equal to their parse', (kpis, sources) => {
  const thresholds = buildKpiThresholds(kpis);
  expect(thresholds.map((t) => t.source)).toEqual(sources);
  for (const [i, { kpi: _kpi, ...threshold }] of thresholds.entries()) {
    expect(parseThreshold(sources[i]!)).toEqual({ ok: true, threshold });
  }
});

test('a --kpi already parsed is held as it is, replacing the KPI with the same key', () => {
  const parsed = parseThreshold('p(99)<500');
  if (!parsed.ok) throw new Error(parsed.error);
  const thresholds = buildKpiThresholds({ p99: 1000, errorRate: 0.01 }, [parsed.threshold]);
  expect(thresholds.map((t) => t.source)).toEqual(['rate<0.01', 'p(99)<500']);
  expect(thresholds[1]).toBe(parsed.threshold);
});

test('per scenario and overall; rps only overall; dropped arrivals fail the open model', () => {
  const scenario = {
    name: 'create',
    requests: 100,
    errors: 10,
    errorRate: 0.1,
    latencyMs: { min: 1, mean: 2, p50: 2, p90: 3, p95: 4, p99: 5, p999: 6, max: 7 },
  };
  const checks = evaluateKpis(
    buildKpiThresholds(['rate<0.01', 'rps>10']),
    summaryOf({ scenarios: [scenario], dropped: 3 }),
  );
  expect(checks.map((c) => [c.id, c.status])).toEqual([
    ['kpi:rate<0.01', 'passed'],
    ['kpi:rps>10', 'passed'],
    ['kpi:create:rate<0.01', 'failed'],
    ['kpi:dropped', 'failed'],
  ]);
});

test('no completed request fails every KPI rather than passing it', () => {
  const checks = evaluateKpis(buildKpiThresholds(['p(99)<1000']), summaryOf({ requests: 0, errorRate: 0 }));
  expect(checks[0]).toMatchObject({ status: 'failed', measured: null });
});

const lag = (p99: number) => ({ p50: 0.1, p99, max: p99 * 2 });

test.each([
  // The allowance is max(50 ms, 10 % of p50): p50 600 ms allows 60 ms, p50 2 ms allows 50 ms.
  {
    over: { sendLagMs: lag(60), latencyMs: { ...summaryOf().latencyMs, p50: 600 } },
    status: 'passed',
    threshold: 'send lag p(99)<=60',
  },
  {
    over: { sendLagMs: lag(60.1), latencyMs: { ...summaryOf().latencyMs, p50: 600 } },
    status: 'failed',
    threshold: 'send lag p(99)<=60',
  },
  {
    over: { sendLagMs: lag(50), latencyMs: { ...summaryOf().latencyMs, p50: 2 } },
    status: 'passed',
    threshold: 'send lag p(99)<=50',
  },
  {
    over: { sendLagMs: lag(52), latencyMs: { ...summaryOf().latencyMs, p50: 2 } },
    status: 'failed',
    threshold: 'send lag p(99)<=50',
  },
  { over: { engine: 'k6', dropped: 0 }, status: 'passed', threshold: 'dropped_iterations==0' },
  { over: { engine: 'k6', dropped: 7 }, status: 'failed', threshold: 'dropped_iterations==0' },
] as const)('generator kept up: $over → $status', ({ over, status, threshold }) => {
  const check = evaluateGeneratorKeptUp(summaryOf(over as Partial<LoadSummary>));
  expect(check).toMatchObject({ id: 'kpi:generator-kept-up', kind: 'kpi', status, threshold });
});

test.each([
  { over: {} },
  { over: { model: 'closed', sendLagMs: lag(50) } },
  { over: { engine: 'autocannon', model: 'closed' } },
] as const)('no generator check without a send lag or for the closed model: $over', ({ over }) => {
  expect(evaluateGeneratorKeptUp(summaryOf(over as Partial<LoadSummary>))).toBeUndefined();
});

test('k6 dropping iterations on a slow target: blamed on its VUs, not the target, with the VUs it needed', () => {
  // 100 req/s for 8 s against a 1.5 s target, k6 starting with 20 VUs (its default for that rate).
  const checks = evaluateKpis(
    [],
    summaryOf({
      engine: 'k6',
      requests: 672,
      dropped: 128,
      durationMs: 8000,
      latencyMs: { ...summaryOf().latencyMs, p50: 1500.7 },
    }),
  );
  const dropped = checks.find((c) => c.id === 'kpi:dropped');
  expect(dropped).toMatchObject({ status: 'failed', measured: 128 });
  expect(dropped?.message).toBe(
    'k6 dropped 128 iterations for want of a free VU, so the target got fewer requests than the rate (generator kept up says how many VUs it needed)',
  );
  const keptUp = checks.find((c) => c.id === 'kpi:generator-kept-up');
  expect(keptUp).toMatchObject({ status: 'failed', measured: 128, threshold: 'dropped_iterations==0' });
  expect(keptUp?.message).toBe(
    'k6 dropped 128 iterations for want of a free VU: insufficient VUs, so the target got fewer requests than the rate. ' +
      'k6 starts with `connections` VUs (its preAllocatedVUs) and adds more, up to maxInFlight, only after dropping; ' +
      "~100 req/s at a p50 of 1501 ms keeps about 151 VUs busy — set the profile's `connections` (or `--rate R --connections N`) to ~192",
  );
  // The open engine's drops are still the in-flight cap's.
  expect(evaluateKpis([], summaryOf({ dropped: 3 })).find((c) => c.id === 'kpi:dropped')?.message).toBe(
    '3 arrivals were dropped at the in-flight cap: the target could not keep up with the rate',
  );
});

test('a material send lag fails the run with a sentence saying so', () => {
  const checks = evaluateKpis([], summaryOf({ sendLagMs: { p50: 3, p99: 180, max: 420 } }));
  const check = checks.find((c) => c.id === 'kpi:generator-kept-up');
  expect(check?.status).toBe('failed');
  expect(check?.measured).toBe(180);
  expect(check?.message).toMatch(/generator fell behind.*420 ms/);
});
