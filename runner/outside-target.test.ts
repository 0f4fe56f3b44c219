import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LoadedSuite, ResolvedEnvironment } from '../core/load-config.ts';
import { loadProfileSchema, type SuiteInput } from '../core/schema.ts';
import { validateSuite } from '../core/validate-suite.ts';
import { executeRun } from './run.ts';
import type { Stage } from './stage.ts';
import { createChaosStage } from './stages/chaos-stage.ts';
import { createLoadStage } from './stages/load-stage.ts';
import { preflightStage } from './stages/preflight-stage.ts';

/**
 * A service opsproof did not start (not the demo): `/health` answers 200, `/` 404, `/items` 200.
 * DESIGN.md, Targets: its readiness path is checked by preflight, and on the embedded provider its
 * traffic goes through the fault gateway like a started target's.
 */
let server: http.Server;
let url: string;
const served: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    served.push(req.url ?? '');
    const path = (req.url ?? '/').split('?')[0];
    const status = path === '/health' || path === '/items' ? 200 : 404;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? { ok: true } : { message: 'Not Found' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function suiteFor(input: Partial<SuiteInput>, env: Record<string, unknown> = {}) {
  const { suite, diagnostics } = validateSuite({
    service: 'outside',
    environments: { local: { target: url, timeScale: 60, ...env } },
    ...input,
  });
  if (!suite) throw new Error(diagnostics.map((d) => `${d.path}: ${d.message}`).join('; '));
  const loaded: LoadedSuite = { suite, file: '/x/opsproof.config.ts', dir: '/x', warnings: [] };
  const resolved: ResolvedEnvironment = { ...suite.environments.local!, name: 'local' };
  return { loaded, env: resolved };
}

const run = (loaded: LoadedSuite, env: ResolvedEnvironment, stages: Stage[]) =>
  executeRun({
    command: 'gate',
    loaded,
    env,
    stages,
    outDir: mkdtempSync(join(tmpdir(), 'opsproof-outside-')),
    signal: new AbortController().signal,
  });

describe('preflight checks the readiness path of a target opsproof did not start', () => {
  test.each([
    { readyPath: '/health', status: 'passed', measured: 200, name: 'target answers /health' },
    // Without readyPath, `/` (DESIGN.md's default): this service answers it 404.
    { readyPath: undefined, status: 'failed', measured: 404, name: 'target answers /' },
  ])('readyPath $readyPath → $status ($measured)', async ({ readyPath, status, measured, name }) => {
    const { loaded, env } = suiteFor({}, readyPath === undefined ? {} : { readyPath });
    const result = await run(loaded, env, [preflightStage]);
    expect(result.checks).toEqual([expect.objectContaining({ id: 'health:ready', status, measured, name })]);
    if (status === 'failed') expect(result.checks[0]?.message).toMatch(/set readyPath in the environment/);
    expect(result.target).toBe(url);
  });

  test('an unreachable outside target is still an environment error, not the gateway’s 502', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { loaded, env } = suiteFor({}, { target: `http://127.0.0.1:${port}`, readyPath: '/health' });
    const result = await run(loaded, env, [preflightStage]);
    expect(result.status).toBe('error');
    expect(result.error).toMatch(/is unreachable: connection refused/);
  });
});

test('its load traffic goes through the fault gateway: request metrics and alarms are fed; reports name the target', async () => {
  const { loaded, env } = suiteFor(
    {
      alarms: [
        {
          AlarmName: 'TrafficSeen',
          Namespace: 'AWS/ApiGateway',
          MetricName: 'Count',
          Dimensions: [{ Name: 'ApiName', Value: 'outside' }],
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        },
      ],
    },
    { readyPath: '/health' },
  );
  const profile = loadProfileSchema.parse({
    model: 'open',
    engine: 'open',
    rate: 40,
    duration: '1s',
    requests: [
      { name: 'items', method: 'GET', path: '/items', weight: 3 },
      { name: 'missing', method: 'GET', path: '/nope', weight: 1, expectStatus: 404 },
    ],
  });
  let metrics: { count: number; clientErrorRate: number } | undefined;
  let alarm: string | undefined;
  let hit = '';
  const readMetrics: Stage = {
    name: 'assertions',
    async run(context) {
      hit = context.targetUrl;
      const id = (MetricName: string) => ({
        Namespace: 'AWS/ApiGateway',
        MetricName,
        Dimensions: [{ Name: 'ApiName', Value: 'outside' }],
      });
      const window = {
        periodSeconds: 60,
        from: new Date(Date.now() - 600_000),
        to: new Date(Date.now() + 60_000),
      };
      const sum = async (MetricName: string) =>
        (
          await context.telemetry.getMetricStatistics!({ id: id(MetricName), statistic: 'Sum', ...window })
        ).reduce((total, d) => total + d.value, 0);
      // The gateway flushes its batch every 250 ms; the alarm evaluates every alarm minute (1 s here).
      for (let i = 0; i < 50; i++) {
        alarm = await context.telemetry.getAlarmState('TrafficSeen');
        if (alarm === 'ALARM') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      // Every request the service served came through the gateway but preflight's (it probes the target
      // itself); the last batch may land a flush later.
      let count = 0;
      for (let i = 0; i < 30; i++) {
        count = await sum('Count');
        if (count >= served.length - 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      metrics = { count, clientErrorRate: (await sum('4XXError')) / count };
      return {};
    },
  };
  served.length = 0;
  const result = await run(loaded, env, [
    preflightStage,
    createLoadStage({ profileName: 'items', profile }),
    readMetrics,
  ]);
  // The load's own KPIs (latency, the generator's send lag on a cold start) are not what this test is about.
  expect(result.error).toBeUndefined();
  expect(result.checks.find((c) => c.id === 'health:ready')?.status).toBe('passed');
  expect(hit).not.toBe(url); // stages hit the gateway in front of it …
  expect(hit).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(result.target).toBe(url); // … and the reports name the service itself
  expect(result.load?.target).toBe(url);
  const requests = result.load?.requests ?? 0;
  expect(requests).toBeGreaterThanOrEqual(30);
  // Every load request (plus the load engine's reachability probe of `/`) reached the metrics, and
  // nothing else: the service served exactly these and preflight's direct probe.
  expect(metrics?.count).toBe(served.length - 1);
  expect(metrics?.count).toBeGreaterThanOrEqual(requests);
  expect(metrics?.clientErrorRate).toBeGreaterThan(0.1);
  expect(metrics?.clientErrorRate).toBeLessThan(0.5);
  expect(alarm).toBe('ALARM');
  expect(served.filter((p) => p === '/items').length).toBeGreaterThan(0);
  expect(result.timeline).toContainEqual(
    expect.objectContaining({ type: 'progress', message: expect.stringContaining(`in front of ${url}`) }),
  );
});

test('a gateway fault whose path matches none of its routes fails its experiment, naming the paths seen', async () => {
  const { loaded, env } = suiteFor(
    {
      load: {
        profiles: {
          items: {
            model: 'open',
            engine: 'open',
            rate: 20,
            duration: '3s',
            requests: [
              { name: 'items', method: 'GET', path: '/items' },
              { name: 'health', method: 'GET', path: '/health' },
            ],
          },
        },
      },
      experiments: {
        'api-errors': {
          targets: {
            Functions: {
              resourceType: 'aws:lambda:function',
              resourceTags: { s: 'x' },
              selectionMode: 'ALL',
            },
          },
          actions: {
            errors: {
              actionId: 'aws:lambda:invocation-error',
              parameters: { duration: 'PT1S', invocationPercentage: '100', preventExecution: 'true' },
              targets: { Functions: 'Functions' },
            },
          },
          load: 'items',
          // The demo's API path: this service has no /api routes.
          localPath: '/api/*',
        },
      },
    },
    { readyPath: '/health' },
  );
  const result = await run(loaded, env, [createChaosStage({ interactive: false })]);
  expect(result.status).toBe('failed');
  const [journal] = result.experiments ?? [];
  expect(journal).toMatchObject({
    status: 'failed',
    activities: [{ name: 'errors', status: 'failed', matchedRequests: 0 }],
  });
  const activity = journal!.activities[0]!;
  expect(activity.seenRequests).toBeGreaterThan(5);
  expect([...(activity.seenPaths ?? [])].sort()).toEqual(['/health', '/items']);
  expect(activity.error).toMatch(
    /^fault error:status=500,percent=100,path=\/api\/\* matched no request; seen: \/(items|health), \/(items|health) \(\d+ requests\)$/,
  );
  expect(result.checks).toContainEqual(
    expect.objectContaining({
      id: 'experiment:api-errors',
      status: 'failed',
      message: `action errors failed: ${activity.error}`,
    }),
  );
});
