import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadProfileSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { runOpenEngine } from './open-engine.ts';
import { startFixedDelayServer, startServer, startStallingServer, type TestServer } from './test-servers.ts';

let fixed: TestServer;
beforeAll(async () => {
  fixed = await startFixedDelayServer(100);
});
afterAll(() => fixed.close());

const within = (measured: number, expected: number, tolerance: number) =>
  expect(Math.abs(measured - expected) / expected).toBeLessThanOrEqual(tolerance);

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
  within(summary.latencyMs.p50, 100, 0.05);
  within(summary.latencyMs.p95, 100, 0.05);
  within(summary.latencyMs.p99, 100, 0.05);
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
    within(summary.latencyMs.p99, 190, 0.1);
    within(summary.latencyMs.p95, 150, 0.1);
  } finally {
    await server.close();
  }
});

test('warm-up is excluded from the statistics', async () => {
  const summary = await runOpenEngine(
    loadProfileSchema.parse({ rate: 100, duration: '1s', warmup: '500ms' }),
    {
      target: fixed.url,
    },
  );
  expect(summary.requests).toBe(100);
  expect(summary.durationMs).toBe(1000);
});

test('in-flight cap: arrivals beyond it are dropped, not queued', async () => {
  const summary = await runOpenEngine(
    loadProfileSchema.parse({ rate: 100, duration: '1s', maxInFlight: 5 }),
    { target: fixed.url },
  );
  // 100 ms per request and 5 slots: about 50 sent, about 50 dropped.
  expect(summary.dropped).toBeGreaterThan(30);
  expect(summary.requests + summary.dropped).toBe(100);
});

test('mixes, correlation ids, expected statuses and per-scenario statistics', async () => {
  const seen: { path: string; id: string | undefined; body: string }[] = [];
  const server = await startServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ path: req.url!, id: req.headers['x-correlation-id'] as string, body });
      res.statusCode = req.method === 'POST' ? 201 : req.url === '/missing' ? 404 : 200;
      res.end();
    });
  });
  try {
    const summary = await runOpenEngine(
      loadProfileSchema.parse({
        rate: 100,
        duration: '1s',
        requests: [
          { name: 'list', path: '/api', weight: 2 },
          { name: 'create', method: 'POST', path: '/api', body: { v: 1 }, expectStatus: 201, weight: 1 },
          { name: 'missing', path: '/missing', weight: 1 },
        ],
      }),
      { target: `${server.url}/`, headers: { authorization: 'Bearer x' } },
    );
    expect(summary.requests).toBe(100);
    expect(summary.statusCodes).toEqual({ '200': 50, '201': 25, '404': 25 });
    expect(summary.errors).toBe(25);
    expect(summary.scenarios?.map((s) => [s.name, s.requests, s.errors])).toEqual([
      ['list', 50, 0],
      ['create', 25, 0],
      ['missing', 25, 25],
    ]);
    expect(new Set(seen.map((s) => s.id)).size).toBe(100);
    expect(seen.find((s) => s.body)?.body).toBe('{"v":1}');
  } finally {
    await server.close();
  }
});

test('closed model: N connections flat out', async () => {
  const summary = await runOpenEngine(
    loadProfileSchema.parse({ model: 'closed', connections: 4, duration: '1s' }),
    { target: fixed.url },
  );
  // 4 connections × 10 requests/s each.
  expect(summary.model).toBe('closed');
  expect(summary.requests).toBeGreaterThanOrEqual(36);
  expect(summary.requests).toBeLessThanOrEqual(44);
});

test('abort stops the run and rethrows the reason', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stop')), 300);
  const started = performance.now();
  await expect(
    runOpenEngine(loadProfileSchema.parse({ rate: 50, duration: '30s' }), {
      target: fixed.url,
      signal: controller.signal,
    }),
  ).rejects.toThrow('stop');
  expect(performance.now() - started).toBeLessThan(5000);
});

test('connection refused counts as errors with the error code', async () => {
  const server = await startServer((_req, res) => res.end());
  const url = server.url;
  await server.close();
  const summary = await runOpenEngine(loadProfileSchema.parse({ rate: 20, duration: '500ms' }), {
    target: url,
  });
  expect(summary.errors).toBe(summary.requests);
  expect(Object.keys(summary.statusCodes)).toEqual(['ECONNREFUSED']);
});
