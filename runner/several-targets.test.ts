import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LoadedSuite, ResolvedEnvironment } from '../core/load-config.ts';
import { requireTool } from '../core/tools.ts';
import { validateSuite } from '../core/validate-suite.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import { findFreePort } from './local-target.ts';
import { executeRun } from './run.ts';
import type { Stage } from './stage.ts';
import { createCanaryStage } from './stages/canary-stage.ts';
import { createChaosStage } from './stages/chaos-stage.ts';
import { createLoadStage } from './stages/load-stage.ts';
import { preflightStage } from './stages/preflight-stage.ts';

// Issue 18, several targets: a web app and its API in one suite, each behind its own fault gateway.
const chromium = requireTool('chromium');

function startServer(handle: http.RequestListener) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    handle(req, res);
  });
  return { server, seen };
}

const web = startServer((req, res) => {
  if (req.url === '/ready') return res.writeHead(204).end();
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>shop</title><h1>Shop</h1><button>Buy</button>');
});
const api = startServer((req, res) => {
  res.writeHead(req.url === '/' ? 404 : 200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ items: [] }));
});
let webUrl: string;
let apiUrl: string;
beforeAll(async () => {
  for (const s of [web, api]) await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  webUrl = `http://127.0.0.1:${(web.server.address() as AddressInfo).port}`;
  apiUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of [web, api]) await new Promise<void>((r) => s.server.close(() => r()));
});

describe.skipIf(chromium.skip)('an environment with a web target and an API target', () => {
  test('one gate runs a browser canary against the web target and load against the API, each through its own gateway', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsproof-targets-'));
    writeFileSync(
      join(dir, 'shop.canary.ts'),
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'shop', type: 'browser', target: 'web' }, async ({ page, step, baseUrl }) => {
  await step('open shop', async () => {
    await page.goto(baseUrl + '/shop');
    await page.getByRole('button', { name: 'Buy' }).waitFor();
  });
});
`,
    );
    writeFileSync(
      join(dir, 'items.canary.ts'),
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'items', type: 'api', target: 'api' }, async ({ http, step, baseUrl }) => {
  await step('list items', async () => {
    const res = await http.get(baseUrl + '/items?from=canary');
    if (res.status !== 200) throw new Error('items ' + res.status);
  });
});
`,
    );
    const { suite, diagnostics } = validateSuite({
      service: 'shop',
      environments: {
        local: {
          targets: { web: { url: webUrl, readyPath: '/ready' }, api: { url: apiUrl, readyPath: '/items' } },
        },
      },
      canaries: { files: ['*.canary.ts'] },
      load: {
        default: 'browse',
        profiles: {
          browse: { target: 'api', rate: 20, duration: '1s', requests: [{ path: '/items' }] },
        },
      },
    });
    if (!suite) throw new Error(diagnostics.map((d) => `${d.path}: ${d.message}`).join('; '));
    const loaded: LoadedSuite = { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] };
    const env: ResolvedEnvironment = { ...suite.environments.local!, name: 'local' };
    const telemetry = new EmbeddedTelemetry();
    web.seen.length = 0;
    api.seen.length = 0;
    const result = await executeRun({
      command: 'gate',
      loaded,
      env,
      stages: [preflightStage, createCanaryStage(), createLoadStage()],
      outDir: join(dir, 'run'),
      signal: new AbortController().signal,
      telemetry,
    });
    try {
      expect(result.error).toBeUndefined();
      // Whether a 1 s load on a 2-core machine shared with Chromium kept its schedule is not this test's point.
      const verdicts = result.checks.filter((c) => c.id !== 'kpi:generator-kept-up' && c.status !== 'passed');
      expect(verdicts.map((c) => `${c.id}: ${c.message}`)).toEqual([]);
      expect(result.target).toBe(webUrl);
      expect(result.targets).toEqual({ web: webUrl, api: apiUrl });
      // Each target's own readiness path.
      expect(result.checks.filter((c) => c.kind === 'health').map((c) => [c.id, c.status])).toEqual([
        ['health:ready:web', 'passed'],
        ['health:ready:api', 'passed'],
      ]);
      expect(result.canaries?.map((c) => [c.name, c.status, c.targetName])).toEqual([
        ['items', 'passed', 'api'],
        ['shop', 'passed', 'web'],
      ]);
      expect(api.seen).toContain('/items?from=canary');
      expect(web.seen).not.toContain('/items?from=canary');
      expect(result.load?.targetName).toBe('api');
      expect(result.load?.target).toBe(apiUrl);
      expect(result.load?.requests).toBeGreaterThanOrEqual(15);
      // The load went to the API only; the canary's page to the web app only.
      expect(web.seen.filter((u) => u === '/items')).toEqual([]);
      expect(api.seen.filter((u) => u === '/items').length).toBeGreaterThanOrEqual(
        result.load?.requests ?? 1,
      );
      expect(api.seen).not.toContain('/shop');
      expect(web.seen).toContain('/shop');
      // Each gateway records its target's requests under its own ApiName.
      const count = (apiName: string) =>
        telemetry.metrics
          .get({
            Namespace: 'AWS/ApiGateway',
            MetricName: 'Count',
            Dimensions: [{ Name: 'ApiName', Value: apiName }],
          })
          ?.samples.reduce((sum, s) => sum + s.value * s.count, 0) ?? 0;
      expect(count('shop-api')).toBeGreaterThanOrEqual(result.load?.requests ?? 1);
      expect(count('shop-web')).toBeGreaterThanOrEqual(1);
      expect(count('shop')).toBe(0);
    } finally {
      await telemetry.close();
    }
  }, 60_000);
});

describe('a named target that is a process without http', () => {
  test('is started, checked over TCP by preflight, reachable for process faults, and stopped after the run', async () => {
    const port = await findFreePort();
    const dir = mkdtempSync(join(tmpdir(), 'opsproof-targets-db-'));
    const { suite, diagnostics } = validateSuite({
      service: 'shop',
      environments: {
        local: {
          targets: {
            api: { url: apiUrl, readyPath: '/items' },
            db: {
              readyTcp: `127.0.0.1:${port}`,
              start: {
                command: [
                  process.execPath,
                  '-e',
                  "require('net').createServer((s) => s.end()).listen(+process.argv[1], '127.0.0.1')",
                  '{port}',
                ],
                readyTimeout: '10s',
              },
            },
          },
        },
      },
    });
    if (!suite) throw new Error(diagnostics.map((d) => `${d.path}: ${d.message}`).join('; '));
    const loaded: LoadedSuite = { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] };
    const env: ResolvedEnvironment = { ...suite.environments.local!, name: 'local' };
    let seenDb: { url: string; running: boolean | undefined } | undefined;
    const probe: Stage = {
      name: 'assertions',
      async run(context) {
        const db = context.targets?.db;
        seenDb = { url: db?.url ?? '', running: db?.target?.process?.running };
        return {};
      },
    };
    const result = await executeRun({
      command: 'gate',
      loaded,
      env,
      stages: [preflightStage, probe],
      outDir: join(dir, 'run'),
      signal: new AbortController().signal,
      faultGateway: false,
    });
    expect(result.error).toBeUndefined();
    expect(result.checks.map((c) => [c.id, c.status])).toEqual([
      ['health:ready:api', 'passed'],
      ['health:tcp:db', 'passed'],
    ]);
    expect(seenDb).toEqual({ url: `tcp://127.0.0.1:${port}`, running: true });
    // Not in result.targets: it has no URL a report could name.
    expect(result.targets).toEqual({ api: apiUrl });
    const started = result.timeline.find((r) => r.type === 'target.start');
    const pid = started && 'pid' in started ? (started.pid as number) : undefined;
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid!, 0)).toThrow();
  }, 30_000);
});

describe('an experiment names its target', () => {
  test("localTarget: the faults go through that target's gateway, and the journal says which", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsproof-targets-chaos-'));
    const { suite, diagnostics } = validateSuite({
      service: 'shop',
      environments: {
        local: {
          targets: { web: { url: webUrl, readyPath: '/ready' }, api: { url: apiUrl, readyPath: '/items' } },
        },
      },
      load: {
        profiles: { items: { rate: 20, duration: '2s', requests: [{ path: '/items' }] } },
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
          localTarget: 'api',
        },
      },
    });
    if (!suite) throw new Error(diagnostics.map((d) => `${d.path}: ${d.message}`).join('; '));
    const loaded: LoadedSuite = { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] };
    const env: ResolvedEnvironment = { ...suite.environments.local!, name: 'local' };
    const telemetry = new EmbeddedTelemetry();
    web.seen.length = 0;
    try {
      const result = await executeRun({
        command: 'chaos run api-errors',
        loaded,
        env,
        stages: [createChaosStage({ interactive: false })],
        outDir: join(dir, 'run'),
        signal: new AbortController().signal,
        telemetry,
      });
      const [journal] = result.experiments ?? [];
      expect(journal?.targetName).toBe('api');
      expect(journal?.activities[0]?.matchedRequests).toBeGreaterThan(0);
      // The load during the experiment went to the API, never to the web app.
      expect(web.seen.filter((u) => u === '/items')).toEqual([]);
      const errors = (apiName: string) =>
        telemetry.metrics
          .get({
            Namespace: 'AWS/ApiGateway',
            MetricName: '5XXError',
            Dimensions: [{ Name: 'ApiName', Value: apiName }],
          })
          ?.samples.reduce((sum, s) => sum + s.value * s.count, 0) ?? 0;
      expect(errors('shop-api')).toBeGreaterThan(0);
      expect(errors('shop-web')).toBe(0);
    } finally {
      await telemetry.close();
    }
  }, 30_000);
});

describe('a named target opsproof starts', () => {
  test('is started on a free port, polled on its own readyPath, fronted by its own gateway, and stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsproof-targets-start-'));
    const server =
      "require('http').createServer((q, s) => { s.writeHead(q.url === '/up' ? 200 : 404); s.end(q.url); }).listen(+process.argv[1], '127.0.0.1')";
    const { suite, diagnostics } = validateSuite({
      service: 'shop',
      environments: {
        local: {
          targets: {
            api: { url: apiUrl, readyPath: '/items' },
            web: {
              url: 'http://127.0.0.1:0',
              readyPath: '/up',
              start: { command: [process.execPath, '-e', server, '{port}'] },
            },
          },
        },
      },
    });
    if (!suite) throw new Error(diagnostics.map((d) => `${d.path}: ${d.message}`).join('; '));
    const loaded: LoadedSuite = { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] };
    const env: ResolvedEnvironment = { ...suite.environments.local!, name: 'local' };
    const telemetry = new EmbeddedTelemetry();
    let through: { status: number; body: string; direct: string | undefined; gateway: string } | undefined;
    const probe: Stage = {
      name: 'assertions',
      async run(context) {
        const web = context.targets?.web;
        const res = await fetch(`${web?.url}/hello`);
        through = {
          status: res.status,
          body: await res.text(),
          direct: web?.target?.directUrl,
          gateway: web?.url ?? '',
        };
        return {};
      },
    };
    const result = await executeRun({
      command: 'gate',
      loaded,
      env,
      stages: [preflightStage, probe],
      outDir: join(dir, 'run'),
      signal: new AbortController().signal,
      telemetry,
    });
    await telemetry.close();
    expect(result.error).toBeUndefined();
    expect(result.checks.map((c) => [c.id, c.name, c.status])).toEqual([
      ['health:ready:api', 'target "api" answers /items', 'passed'],
      ['health:ready:web', 'target "web" answers /up', 'passed'],
    ]);
    expect(through?.status).toBe(404);
    expect(through?.body).toBe('/hello');
    // The stages reach it through its gateway; the process listens on a port of its own.
    expect(through?.gateway).not.toBe(through?.direct);
    expect(through?.direct).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(result.targets?.web).toBe(through?.gateway);
    const started = result.timeline.find((r) => r.type === 'target.start');
    const pid = started && 'pid' in started ? (started.pid as number) : undefined;
    expect(() => process.kill(pid!, 0)).toThrow();
  }, 30_000);
});
