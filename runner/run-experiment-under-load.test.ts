import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { systemClock } from '../core/clock.ts';
import type { ResolvedEnvironment } from '../core/load-config.ts';
import { type SuiteInput, suiteSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { repoPath } from '../core/tools.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import {
  createExperimentGateways,
  routeExperiment,
  runExperimentUnderLoad,
} from './run-experiment-under-load.ts';
import type { RunContext, StartedTarget } from './stage.ts';
import { createChaosStage } from './stages/chaos-stage.ts';
import { createDrillStage } from './stages/drill-stage.ts';

// The chaos stage and the drills must both go through this one path: the module is wrapped so the
// test sees every call, whoever makes it.
vi.mock('./run-experiment-under-load.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./run-experiment-under-load.ts')>();
  return { ...actual, runExperimentUnderLoad: vi.fn(actual.runExperimentUnderLoad) };
});

vi.setConfig({ testTimeout: 30_000 });

let upstream: http.Server;
/** The environment's `x-team` header as the upstream saw it: the background load must send it. */
const teamHeaders = new Set<string>();
let upstreamUrl: string;
beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    teamHeaders.add(String(req.headers['x-team']));
    res.end('ok');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => upstream.close(r)));

const SERVICE = 'path-test';

/** One-period alarm on the gateway's 5XX count: at timeScale 50 a 10 s period lasts 200 ms. */
const errorsAlarm = {
  AlarmName: 'Errors',
  Namespace: 'AWS/ApiGateway',
  MetricName: '5XXError',
  Dimensions: [{ Name: 'ApiName', Value: SERVICE }],
  Statistic: 'Sum' as const,
  Period: 10,
  EvaluationPeriods: 1,
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold' as const,
  TreatMissingData: 'notBreaching' as const,
  severity: 'critical' as const,
};

function lambdaErrors(duration: string) {
  return {
    targets: {
      Functions: { resourceType: 'aws:lambda:function', resourceTags: { s: 'x' }, selectionMode: 'ALL' },
    },
    actions: {
      errors: {
        actionId: 'aws:lambda:invocation-error',
        parameters: { duration, invocationPercentage: '100', preventExecution: 'true' },
        targets: { Functions: 'Functions' },
      },
    },
  };
}

const suiteInput: Partial<SuiteInput> = {
  alarms: [errorsAlarm],
  load: {
    // Longer than any experiment here: the path stops it when the experiment is over.
    profiles: { steady: { rate: 40, duration: '20s', requests: [{ path: '/api/x' }] } },
  },
  experiments: {
    errors: {
      ...lambdaErrors('PT1S'),
      load: 'steady',
      expect: [
        { kind: 'alarm-fires', alarm: 'Errors', within: '5s', after: 'fault.start' },
        { kind: 'alarm-recovers', alarm: 'Errors', within: '5s', after: 'fault.end' },
      ],
    },
    // No load: the fault matches no request, so the experiment fails.
    unseen: {
      ...lambdaErrors('PT0.3S'),
      expect: [{ kind: 'alarm-fires', alarm: 'Errors', within: '5s', after: 'fault.start' }],
    },
  },
  drills: {
    alert: { kind: 'alert', experiment: 'errors', alarm: 'Errors', alarmWithin: '5s', recoverWithin: '5s' },
  },
};

async function contextWith(
  input: Partial<SuiteInput>,
): Promise<RunContext & { telemetry: EmbeddedTelemetry }> {
  const suite = suiteSchema.parse({
    service: SERVICE,
    environments: { local: { target: upstreamUrl, timeScale: 50, headers: { 'x-team': 'drill' } } },
    ...input,
  });
  const telemetry = await new EmbeddedTelemetry({ alarms: suite.alarms, timeScale: 50 }).start({
    otlp: false,
  });
  return {
    runId: 'test',
    command: 'test',
    loaded: { suite, file: '/x/opsproof.config.ts', dir: '/x', warnings: [] },
    env: { ...suite.environments.local!, name: 'local' },
    targetUrl: upstreamUrl,
    // A target the run did not front: the path starts a gateway in front of it.
    target: undefined,
    timeline: new Timeline(),
    telemetry,
    clock: systemClock,
    signal: new AbortController().signal,
    outDir: mkdtempSync(join(tmpdir(), 'opsproof-path-')),
    options: { kpis: [], allowProduction: false, dryRun: false },
  };
}

test('starts a gateway in front of the target, runs the load and the fault through it, and returns journal, expectations and load', async () => {
  const context = await contextWith(suiteInput);
  const gateways = createExperimentGateways(context);
  try {
    const experiment = context.loaded.suite.experiments.errors!;
    const run = await runExperimentUnderLoad(
      context,
      {
        name: 'errors',
        experiment,
        stage: 'chaos',
        // What the drills measure here: the load must still be running.
        whileLoaded: async () =>
          context.timeline.ofType('load.start').length - context.timeline.ofType('load.end').length,
      },
      gateways,
    );
    expect(run.steadyState).toBeUndefined();
    expect(run.journal).toMatchObject({
      experiment: 'errors',
      engine: 'local',
      status: 'completed',
      deviated: false,
    });
    expect(run.journal.activities[0]?.matchedRequests).toBeGreaterThan(0);
    expect(run.expectations.map((e) => [e.kind, e.status, e.experiment])).toEqual([
      ['alarm-fires', 'passed', 'errors'],
      ['alarm-recovers', 'passed', 'errors'],
    ]);
    expect(run.after).toBe(1);
    // Stopped once the experiment was judged, long before its 20 s.
    expect(run.load).toMatchObject({ interrupted: true });
    expect(run.load!.requests).toBeGreaterThan(0);
    expect(run.load!.errors).toBeGreaterThan(0);
    expect(context.timeline.ofType('load.end')).toHaveLength(1);
    // The load went through the gateway that took the fault.
    const [fault] = context.timeline.ofType('fault.start');
    expect(fault?.where).not.toBe(upstreamUrl);
    expect(context.timeline.ofType('load.start')).toHaveLength(1);
    // The environment's headers go with the background load, as with the load stage's.
    expect([...teamHeaders]).toEqual(['drill']);
  } finally {
    await gateways.close();
    await context.telemetry.close();
  }
});

test('an experiment that did not complete: its expectations are not waited for, and say why', async () => {
  const context = await contextWith(suiteInput);
  const gateways = createExperimentGateways(context);
  try {
    const started = Date.now();
    const run = await runExperimentUnderLoad(
      context,
      { name: 'unseen', experiment: context.loaded.suite.experiments.unseen!, stage: 'chaos' },
      gateways,
    );
    expect(run.journal.status).toBe('failed');
    expect(run.expectations).toEqual([
      expect.objectContaining({
        kind: 'alarm-fires',
        status: 'skipped',
        message: expect.stringMatching(/^not evaluated: the experiment unseen ended failed/),
      }),
    ]);
    // Not the 5 s deadline of the expectation.
    expect(Date.now() - started).toBeLessThan(4000);
    expect(run.load).toBeUndefined();
  } finally {
    await gateways.close();
    await context.telemetry.close();
  }
});

test('the chaos stage and the alert drill both run their experiment through runExperimentUnderLoad', async () => {
  const calls = vi.mocked(runExperimentUnderLoad);
  calls.mockClear();
  const chaos = await contextWith({
    ...suiteInput,
    experiments: { errors: suiteInput.experiments!.errors! },
  });
  try {
    const outcome = await createChaosStage({ interactive: false }).run(chaos);
    expect(outcome.checks?.map((c) => [c.id, c.status])).toEqual([
      ['experiment:errors', 'passed'],
      ['expectation:errors:0:alarm-fires', 'passed'],
      ['expectation:errors:1:alarm-recovers', 'passed'],
    ]);
  } finally {
    await chaos.telemetry.close();
  }
  const drill = await contextWith(suiteInput);
  try {
    const outcome = await createDrillStage('alert', { interactive: false }).run(drill);
    expect(outcome.checks?.map((c) => [c.id, c.status])).toEqual([
      ['drill:alert:experiment', 'passed'],
      ['drill:alert:alarm', 'passed'],
      ['drill:alert:notification', 'passed'],
      ['drill:alert:recover', 'passed'],
    ]);
    expect(outcome.drill).toMatchObject({ kind: 'alert', alarm: 'Errors' });
    expect(outcome.drill!.impact.failedRequests).toBeGreaterThan(0);
  } finally {
    await drill.telemetry.close();
  }
  expect(calls.mock.calls.map(([, request]) => [request.name, request.stage])).toEqual([
    ['errors', 'chaos'],
    ['errors', 'drill'],
  ]);
});

function fakeTarget(url: string, controlUrl?: string): StartedTarget {
  return {
    url,
    directUrl: `${url}/direct`,
    ...(controlUrl ? { controlUrl } : {}),
    stop: async () => {},
  };
}

test.each([
  {
    case: '--gateway: every fault goes to that control API',
    controlUrl: 'http://127.0.0.1:9001',
    provider: 'embedded' as const,
    expected: { engine: 'local', where: 'http://127.0.0.1:9001', loadTarget: 'http://127.0.0.1:8000' },
  },
  {
    case: 'the gateway the run put in front of the target',
    target: fakeTarget('http://127.0.0.1:8000', 'http://127.0.0.1:8001'),
    provider: 'embedded' as const,
    expected: { engine: 'local', where: 'http://127.0.0.1:8000', loadTarget: 'http://127.0.0.1:8000' },
  },
  {
    case: 'aws: FIS, no local faults',
    target: fakeTarget('http://127.0.0.1:8000', 'http://127.0.0.1:8001'),
    provider: 'aws' as const,
    expected: { engine: 'fis', where: undefined, loadTarget: 'http://127.0.0.1:8000' },
  },
])('routeExperiment: $case', async ({ controlUrl, target, provider, expected }) => {
  const suite = suiteSchema.parse({
    service: SERVICE,
    environments: { local: { target: 'http://127.0.0.1:8000', provider } },
    ...suiteInput,
  });
  const context = {
    env: { ...suite.environments.local!, name: 'local' } as ResolvedEnvironment,
    targetUrl: 'http://127.0.0.1:8000',
    target,
    loaded: { suite, file: '/x/c.ts', dir: '/x', warnings: [] },
  } as unknown as RunContext;
  const routing = await routeExperiment(
    context,
    { name: 'errors', experiment: suite.experiments.errors! },
    createExperimentGateways(context, controlUrl),
  );
  expect({ engine: routing.engine, where: routing.faults?.where, loadTarget: routing.loadTarget }).toEqual(
    expected,
  );
});

test('routeExperiment: for a database target the faults and the load go to the service, or the load to the target its profile names', async () => {
  const suite = suiteSchema.parse({
    service: SERVICE,
    environments: {
      local: {
        targets: {
          web: { url: 'http://127.0.0.1:8000' },
          api: { url: 'http://127.0.0.1:8100' },
          db: { readyTcp: '127.0.0.1:5432', start: { command: ['db'] } },
        },
      },
    },
    load: {
      profiles: {
        steady: { rate: 1, duration: '1s', requests: [{ path: '/' }] },
        api: { rate: 1, duration: '1s', requests: [{ path: '/' }], target: 'api' },
      },
    },
    experiments: {
      kill: {
        targets: { Tasks: { resourceType: 'aws:ecs:task', resourceTags: { s: 'x' }, selectionMode: 'ALL' } },
        actions: { stop: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'Tasks' } } },
        localTarget: 'db',
      },
    },
  });
  const web = fakeTarget('http://127.0.0.1:8000', 'http://127.0.0.1:8001');
  const db = fakeTarget('tcp://127.0.0.1:5432');
  const context = {
    env: { ...suite.environments.local!, name: 'local' } as ResolvedEnvironment,
    targetUrl: web.url,
    target: web,
    targets: {
      api: {
        url: 'http://127.0.0.1:8100',
        target: fakeTarget('http://127.0.0.1:8100', 'http://127.0.0.1:8101'),
      },
      db: { url: db.url, target: db },
    },
    loaded: { suite, file: '/x/c.ts', dir: '/x', warnings: [] },
  } as unknown as RunContext;
  const gateways = createExperimentGateways(context);
  const experiment = suite.experiments.kill!;
  const steady = await routeExperiment(context, { name: 'kill', experiment, load: 'steady' }, gateways);
  expect(steady).toMatchObject({ targetName: 'db', loadTarget: web.url });
  expect(steady.faults?.where).toBe(web.url);
  const api = await routeExperiment(context, { name: 'kill', experiment, load: 'api' }, gateways);
  expect(api.loadTarget).toBe('http://127.0.0.1:8100');
});

test('no other runner or cli code runs an experiment engine: the chaos stage and the drills have only this path', () => {
  const callers = ['runner', 'cli'].flatMap((dir) =>
    readdirSync(repoPath(dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) => /\b(runLocalExperiment|runFisExperiment)\(/.test(readFileSync(repoPath(dir, f), 'utf8')))
      .map((f) => `${dir}/${f}`),
  );
  expect(callers).toEqual(['runner/run-experiment-under-load.ts']);
});
