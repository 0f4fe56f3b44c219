import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { systemClock } from '../../core/clock.ts';
import { UsageError } from '../../core/errors.ts';
import { type SuiteInput, suiteSchema } from '../../core/schema.ts';
import { Timeline } from '../../core/timeline.ts';
import { EmbeddedTelemetry } from '../../telemetry/embedded/embedded-telemetry.ts';
import type { RunContext } from '../stage.ts';
import { createChaosStage } from './chaos-stage.ts';

let upstream: http.Server;
let upstreamUrl: string;
const statuses: number[] = [];
beforeAll(async () => {
  upstream = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => upstream.close(r)));

function contextFor(
  input: Partial<SuiteInput>,
  options: { dryRun?: boolean; env?: string } = {},
): RunContext {
  const suite = suiteSchema.parse({
    service: 'stage-test',
    environments: {
      local: { target: upstreamUrl },
      prod: { target: upstreamUrl, production: true },
    },
    ...input,
  });
  const envName = options.env ?? 'local';
  return {
    runId: 'test',
    command: 'chaos run',
    loaded: { suite, file: '/x/opsproof.config.ts', dir: '/x', warnings: [] },
    env: { ...suite.environments[envName]!, name: envName },
    targetUrl: upstreamUrl,
    target: undefined,
    timeline: new Timeline(),
    telemetry: new EmbeddedTelemetry(),
    clock: systemClock,
    signal: new AbortController().signal,
    outDir: '/tmp',
    options: { kpis: [], allowProduction: false, dryRun: options.dryRun ?? false },
  };
}

const errors = {
  targets: {
    Functions: { resourceType: 'aws:lambda:function', resourceTags: { s: 'x' }, selectionMode: 'ALL' },
  },
  actions: {
    errors: {
      actionId: 'aws:lambda:invocation-error',
      parameters: { duration: 'PT0.4S', invocationPercentage: '100', preventExecution: 'true' },
      targets: { Functions: 'Functions' },
    },
  },
};

test('runs an experiment through a gateway it starts in front of the target and returns journal and check', async () => {
  const context = contextFor({ experiments: { errors } });
  context.timeline.on((r) => {
    // A request through the gateway while the fault is on: the gateway's URL is the fault's `where`.
    if (r.type === 'fault.start') void fetch(`${r.where}/api/x`).then((res) => statuses.push(res.status));
  });
  const outcome = await createChaosStage().run(context);
  expect(outcome.experiments).toMatchObject([
    { experiment: 'errors', engine: 'local', status: 'completed', deviated: false },
  ]);
  expect(outcome.checks).toMatchObject([
    { id: 'experiment:errors', kind: 'experiment', status: 'passed', stage: 'chaos' },
  ]);
  expect(statuses).toEqual([500]);
});

test('dry run injects nothing and reports a skipped check', async () => {
  const context = contextFor({ experiments: { errors } }, { dryRun: true });
  const outcome = await createChaosStage().run(context);
  expect(outcome.checks?.[0]).toMatchObject({
    status: 'skipped',
    message: expect.stringContaining('error:status=500'),
  });
  expect(context.timeline.ofType('fault.start')).toEqual([]);
});

test('refuses production without --allow-production, and unknown experiments', async () => {
  await expect(
    createChaosStage({ interactive: false }).run(contextFor({ experiments: { errors } }, { env: 'prod' })),
  ).rejects.toThrow(UsageError);
  await expect(
    createChaosStage({ experiments: ['nope'] }).run(contextFor({ experiments: { errors } })),
  ).rejects.toThrow(/unknown experiment "nope"/);
  expect(await createChaosStage().run(contextFor({}))).toEqual({
    skipped: 'the suite defines no experiments',
  });
});

test('an experiment whose alarm is in ALARM before the fault is not run: steady state not met', async () => {
  const alarm = {
    AlarmName: 'Errors',
    Namespace: 'N',
    MetricName: 'Errors',
    Statistic: 'Sum' as const,
    Period: 10,
    EvaluationPeriods: 1,
    Threshold: 0,
    ComparisonOperator: 'GreaterThanThreshold' as const,
    TreatMissingData: 'notBreaching' as const,
    severity: 'critical' as const,
  };
  const context = contextFor({
    alarms: [alarm],
    experiments: {
      errors: {
        ...errors,
        expect: [{ kind: 'alarm-fires', alarm: 'Errors', within: '300ms', after: 'fault.start' }],
      },
    },
  });
  // 10 s periods at timeScale 50: evaluated every 200 ms; errors before the fault hold it in ALARM.
  const telemetry = await new EmbeddedTelemetry({ alarms: context.loaded.suite.alarms, timeScale: 50 }).start(
    {
      otlp: false,
    },
  );
  const feed = setInterval(() => void telemetry.putMetricData('N', [{ MetricName: 'Errors', Value: 1 }]), 20);
  try {
    while ((await telemetry.getAlarmState('Errors')) !== 'ALARM') await new Promise((r) => setTimeout(r, 20));
    const outcome = await createChaosStage().run({ ...context, telemetry });
    expect(outcome.checks).toEqual([
      expect.objectContaining({
        id: 'experiment:errors',
        status: 'failed',
        message: expect.stringMatching(
          /^steady state not met: Errors is ALARM after waiting \d+ms; the experiment was not run$/,
        ),
      }),
    ]);
    expect(outcome.experiments).toMatchObject([{ experiment: 'errors', status: 'failed', activities: [] }]);
    expect(context.timeline.ofType('fault.start')).toEqual([]);
  } finally {
    clearInterval(feed);
    await telemetry.close();
  }
});
