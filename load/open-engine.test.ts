import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadProfileSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { startFixedDelayServer, startServer, type TestServer } from '../test-support/test-servers.ts';
import { evaluateGeneratorKeptUp } from './evaluate-kpis.ts';
import { LoadInterruptedError } from './load-interrupted-error.ts';
import { runOpenEngine } from './open-engine.ts';

let fixed: TestServer;
beforeAll(async () => {
  fixed = await startFixedDelayServer(100);
});
afterAll(() => fixed.close());

const _within = (measured: number, expected: number, tolerance: number) =>
  expect(Math.abs(measured - expected) / expected).toBeLessThanOrEqual(tolerance);

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

test.each([
  { model: 'open', profile: { rate: 20, duration: '300ms' } },
  { model: 'closed', profile: { model: 'closed', connections: 3, duration: '300ms' } },
])('$model model: no abort listener is left on the caller’s signal after the run', async ({ profile }) => {
  const controller = new AbortController();
  await runOpenEngine(loadProfileSchema.parse(profile), { target: fixed.url, signal: controller.signal });
  expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
});

test.each([
  { model: 'open', profile: { rate: 50, duration: '30s' } },
  { model: 'closed', profile: { model: 'closed', connections: 5, duration: '30s' } },
])('$model model: abort stops the run and throws the reason with what was measured', async ({ profile }) => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stop')), 700);
  const started = performance.now();
  const error = await runOpenEngine(loadProfileSchema.parse(profile), {
    target: fixed.url,
    signal: controller.signal,
  }).catch((e: unknown) => e);
  expect(performance.now() - started).toBeLessThan(5000);
  expect(error).toBeInstanceOf(LoadInterruptedError);
  const { message, cause, partial } = error as LoadInterruptedError;
  expect(message).toBe('stop');
  expect(cause).toBe(controller.signal.reason);
  // ~0.7 s of a 100 ms server: 50 req/s (open) or 5 loops of 10 req/s (closed) → ~30 completed.
  expect(partial.interrupted).toBe(true);
  expect(partial.durationMs).toBeGreaterThanOrEqual(650);
  expect(partial.durationMs).toBeLessThan(3000);
  expect(partial.requests).toBeGreaterThanOrEqual(20);
  expect(partial.requests).toBeLessThanOrEqual(45);
  expect(partial.rps).toBeCloseTo(partial.requests / (partial.durationMs / 1000), 0);
  expect(partial.latencyMs.p50).toBeGreaterThanOrEqual(99);
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

test.each([
  { model: 'open', profile: { rate: 50, duration: '60s' } },
  { model: 'closed', profile: { model: 'closed', connections: 2, duration: '60s' } },
])(
  '$model model: a signal that aborted before the engine subscribed stops it at once',
  async ({ profile }) => {
    let served = 0;
    const server = await startServer((_req, res) => {
      served++;
      res.end('ok');
    });
    try {
      const controller = new AbortController();
      controller.abort(new Error('interrupted before the run started'));
      const error = await runOpenEngine(loadProfileSchema.parse(profile), {
        target: server.url,
        signal: controller.signal,
      }).catch((e: unknown) => e);
      expect((error as Error).message).toBe('interrupted before the run started');
      expect(served).toBe(0);
    } finally {
      await server.close();
    }
  },
);

test.each([
  {
    name: 'never answers',
    respond: (_res: import('node:http').ServerResponse) => {},
  },
  {
    name: 'sends its headers, then a body byte every 20 ms',
    respond: (res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-length': '100000' });
      const timer = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(timer));
    },
  },
])('a target that $name: each request ends as a timeout at the profile timeout', async ({ respond }) => {
  const server = await startServer((req, res) => {
    req.resume();
    respond(res);
  });
  try {
    const summary = await runOpenEngine(
      loadProfileSchema.parse({ rate: 20, duration: '500ms', timeout: '300ms' }),
      { target: server.url },
    );
    expect(summary.statusCodes).toEqual({ timeout: 10 });
    expect(summary.errors).toBe(10);
    // The deadline sweep runs every 30 ms here (timeout / 10).
    expect(summary.latencyMs.p50).toBeGreaterThanOrEqual(300);
    expect(summary.latencyMs.max).toBeLessThan(300 + 100);
  } finally {
    await server.close();
  }
});

test('open model against a slow target: the connections the rate needs, opened at once', async () => {
  // 100 ms per request at 2 000 req/s needs ~200 connections; the old hill climber started at 64 and
  // left the first second waiting for them (p99 > 300 ms).
  const timeline = new Timeline();
  const summary = await runOpenEngine(loadProfileSchema.parse({ rate: 2000, duration: '1s' }), {
    target: fixed.url,
    timeline,
  });
  const opened = Math.max(...timeline.ofType('load.tick').map((t) => t.connections ?? 0));
  expect(summary.dropped).toBe(0);
  expect(summary.latencyMs.p99).toBeLessThan(190);
  expect(opened).toBeGreaterThanOrEqual(180);
  expect(opened).toBeLessThanOrEqual(400);
});

test("a pause of the generator is its send lag, not the target's latency", async () => {
  // The generator's own event loop stops for 150 ms: the arrivals due meanwhile go out late.
  setTimeout(() => {
    const until = performance.now() + 150;
    while (performance.now() < until) {}
  }, 400);
  const summary = await runOpenEngine(loadProfileSchema.parse({ rate: 100, duration: '1s' }), {
    target: fixed.url,
  });
  expect(summary.requests).toBe(100);
  expect(summary.sendLagMs!.max).toBeGreaterThanOrEqual(120);
  expect(summary.sendLagMs!.p50).toBeLessThan(10);
  // Only the few requests on the wire during the pause read late; the late ones do not.
  expect(summary.latencyMs.p90).toBeLessThan(130);
  const keptUp = evaluateGeneratorKeptUp(summary);
  expect(keptUp?.status).toBe('failed');
  expect(keptUp?.message).toMatch(/generator fell behind/);
});
