/**
 * The acceptance measurements of issue 3, in ONE file so vitest runs them one after another (they are
 * timing-sensitive; run side by side they would load the 2-core machine against each other).
 * The 10 s versions are in bench/load.bench.ts.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadProfileSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { startFixedDelayServer, startStallingServer, type TestServer } from '../test-support/test-servers.ts';
import { buildKpiThresholds } from './evaluate-kpis.ts';
import { runOpenEngine } from './open-engine.ts';
import { runLoad } from './run-load.ts';
import { requireK6 } from './test-tools.ts';

let fixed: TestServer;
beforeAll(async () => {
  fixed = await startFixedDelayServer(100);
});
afterAll(() => fixed.close());

const within = (measured: number, expected: number, tolerance: number, what: string) =>
  expect(
    Math.abs(measured - expected) / expected,
    `${what}: ${measured} ms against ${expected} ms (±${tolerance * 100} %)`,
  ).toBeLessThanOrEqual(tolerance);

test('a server answering in exactly 100 ms at 200 req/s: p50/p95/p99 within 5 % of 100 ms', async () => {
  const timeline = new Timeline();
  // A 1 s warm-up keeps connection set-up and JIT out of a short run (the 10 s bench runs without).
  const summary = await runOpenEngine(loadProfileSchema.parse({ rate: 200, duration: '3s', warmup: '1s' }), {
    target: fixed.url,
    timeline,
  });
  expect(summary.requests).toBe(600);
  expect(summary.errors).toBe(0);
  expect(summary.dropped).toBe(0);
  within(summary.latencyMs.p50, 100, 0.05, 'p50');
  within(summary.latencyMs.p95, 100, 0.05, 'p95');
  within(summary.latencyMs.p99, 100, 0.05, 'p99');
  const ticks = timeline.ofType('load.tick');
  expect(ticks.length).toBeGreaterThanOrEqual(4);
  expect(ticks[1]!.rps).toBeGreaterThan(150);
  expect(summary.histogram).toBeTypeOf('string');
});

test('a server stalling 200 ms once a second at 500 req/s: p99 within 10 % of the true value', async () => {
  // True distribution, derived from the stall pattern. Arrivals are uniform in time. A request
  // arriving at phase φ of a second waits 200 − φ ms if φ < 200 (the stall), else ~0 (plus ~1 ms of
  // service). So 20 % of requests (200 of every 1000 ms) have latencies spread uniformly over
  // (0, 200] ms, and 80 % are ~1 ms. P(latency > x) = (200 − x) / 1000 for 0 < x < 200, so the p99
  // (1 % above it) is at x = 200 − 0.01·1000 = 190 ms; p95 is 200 − 50 = 150 ms; p90 is 100 ms.
  // A closed-loop tool that only times what it sent would see the stall once per connection and
  // report a p99 of a few ms.
  const server = await startStallingServer({ stallMs: 200, periodMs: 1000 });
  try {
    const summary = await runOpenEngine(loadProfileSchema.parse({ rate: 500, duration: '4s' }), {
      target: server.url,
    });
    expect(summary.errors).toBe(0);
    within(summary.latencyMs.p99, 190, 0.1, 'p99');
    within(summary.latencyMs.p95, 150, 0.1, 'p95');
  } finally {
    await server.close();
  }
});

const k6 = requireK6();

test.skipIf(k6.skip)(
  'k6 engine agrees with the open-model engine within 10 % (100 ms server)',
  async () => {
    // 1 000 measured samples: a p99 from 300 (3 s at 100 req/s) is the 3rd-highest value, and one
    // late sample on a busy machine moved it past 10 % once.
    const profile = loadProfileSchema.parse({ rate: 200, duration: '5s', warmup: '1s' });
    const thresholds = buildKpiThresholds(['p(99)<1000', 'rate<0.01']);
    const viaK6 = await runLoad(profile, {
      target: fixed.url,
      timeline: new Timeline(),
      engine: 'k6',
      thresholds,
    });
    const viaOpen = await runLoad(profile, { target: fixed.url, timeline: new Timeline(), engine: 'open' });
    expect(viaK6.engine).toBe('k6');
    expect(viaK6.requests).toBeGreaterThanOrEqual(990);
    expect(viaK6.errors).toBe(0);
    expect(viaK6.dropped).toBe(0);
    for (const p of ['p50', 'p95', 'p99'] as const) {
      expect(
        Math.abs(viaK6.latencyMs[p] - viaOpen.latencyMs[p]) / viaOpen.latencyMs[p],
        `${p}: k6 ${viaK6.latencyMs[p]} ms, open engine ${viaOpen.latencyMs[p]} ms`,
      ).toBeLessThanOrEqual(0.1);
    }
  },
  30_000,
);
