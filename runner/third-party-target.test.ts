import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { LoadedSuite } from '../core/load-config.ts';
import { validateSuite } from '../core/validate-suite.ts';
import { findFreePort } from './local-target.ts';
import { executeRun } from './run.ts';
import { createChaosStage } from './stages/chaos-stage.ts';
import { createLoadStage } from './stages/load-stage.ts';
import { preflightStage } from './stages/preflight-stage.ts';

/**
 * json-server (a third-party REST API, a devDependency) started outside opsproof, as a user's own
 * service would be: readiness on its own route, its traffic through the fault gateway into the alarms,
 * a fault on its routes fires the alarm, and a fault on routes it does not have fails its experiment.
 * No skip: a missing json-server fails this file.
 */
const require = createRequire(import.meta.url);
let server: ChildProcess;
let url: string;

beforeAll(async () => {
  const bin = require.resolve('json-server/lib/cli/bin.js');
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-json-server-'));
  writeFileSync(join(dir, 'db.json'), JSON.stringify({ items: [{ id: 1, name: 'first' }] }));
  const port = await findFreePort();
  server = spawn(
    process.execPath,
    [bin, '--host', '127.0.0.1', '--port', String(port), '--quiet', 'db.json'],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const up = await fetch(`${url}/items`).then(
      (res) => res.ok,
      () => false,
    );
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`json-server did not answer ${url}/items within 15 s`);
});
afterAll(() => {
  server?.kill();
});

const functions = {
  Functions: { resourceType: 'aws:lambda:function', resourceTags: { s: 'x' }, selectionMode: 'ALL' },
};
const errorsFor = (localPath: string, expect: unknown[] = []) => ({
  targets: functions,
  actions: {
    errors: {
      actionId: 'aws:lambda:invocation-error',
      parameters: { duration: 'PT2S', invocationPercentage: '50', preventExecution: 'true' },
      targets: { Functions: 'Functions' },
    },
  },
  load: 'steady',
  localPath,
  expect,
});

function loadedSuite(): LoadedSuite {
  const { suite, diagnostics } = validateSuite({
    service: 'items-api',
    environments: { local: { target: url, readyPath: '/items', timeScale: 60 } },
    alarms: [
      {
        AlarmName: 'HighErrorRate',
        Namespace: 'AWS/ApiGateway',
        MetricName: '5XXError',
        Dimensions: [{ Name: 'ApiName', Value: 'items-api' }],
        Statistic: 'Average',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0.05,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      },
    ],
    load: {
      default: 'steady',
      profiles: {
        steady: {
          model: 'open',
          engine: 'open',
          rate: 20,
          duration: '2s',
          requests: [
            { name: 'list', method: 'GET', path: '/items', weight: 3 },
            { name: 'create', method: 'POST', path: '/items', body: { name: 'load' }, expectStatus: 201 },
          ],
        },
      },
    },
    experiments: {
      'items-errors': errorsFor('/items*', [
        { kind: 'alarm-fires', alarm: 'HighErrorRate', within: '15s', after: 'fault.start' },
      ]),
      'api-errors': errorsFor('/api/*'),
    },
  });
  if (!suite) throw new Error(diagnostics.map((d) => `${d.path}: ${d.message}`).join('; '));
  return { suite, file: '/x/opsproof.config.ts', dir: '/x', warnings: [] };
}

test('json-server started outside opsproof: readiness, load and faults through the gateway, an unmatched fault fails', async () => {
  const loaded = loadedSuite();
  const result = await executeRun({
    command: 'gate',
    loaded,
    env: { ...loaded.suite.environments.local!, name: 'local' },
    stages: [preflightStage, createLoadStage(), createChaosStage({ interactive: false })],
    outDir: mkdtempSync(join(tmpdir(), 'opsproof-third-party-')),
    signal: new AbortController().signal,
  });
  expect(result.error).toBeUndefined();
  expect(result.target).toBe(url);
  expect(result.checks.find((c) => c.id === 'health:ready')).toMatchObject({
    status: 'passed',
    name: 'target answers /items',
  });
  expect(result.load).toMatchObject({ target: url });
  expect(result.load?.requests).toBeGreaterThanOrEqual(30);

  const [items, api] = result.experiments ?? [];
  // On its routes the fault took effect, and the alarm fed by the gateway fired.
  expect(items).toMatchObject({ experiment: 'items-errors', status: 'completed', deviated: false });
  expect(items?.activities[0]?.matchedRequests).toBeGreaterThan(10);
  expect(items?.activities[0]?.injectedRequests).toBeGreaterThan(0);
  expect(result.checks).toContainEqual(
    expect.objectContaining({ id: 'experiment:items-errors', status: 'passed' }),
  );
  expect(result.timeline).toContainEqual(
    expect.objectContaining({ type: 'alarm.state', alarm: 'HighErrorRate', to: 'ALARM' }),
  );
  // The demo's /api/* matches nothing json-server serves: that experiment proves nothing and fails.
  expect(api).toMatchObject({ experiment: 'api-errors', status: 'failed' });
  expect(api?.activities[0]).toMatchObject({ status: 'failed', matchedRequests: 0 });
  expect(api?.activities[0]?.error).toMatch(
    /^fault error:status=500,percent=50,path=\/api\/\* matched no request; seen: \/items \(\d+ requests\)$/,
  );
  expect(result.status).toBe('failed');
}, 60_000);
