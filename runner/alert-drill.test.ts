import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { EnvironmentError } from '../core/errors.ts';
import { suiteSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import type { RunContext } from './stage.ts';
import { createDrillStage } from './stages/drill-stage.ts';

let upstream: http.Server;
let upstreamUrl: string;
beforeAll(async () => {
  upstream = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => upstream.close(r)));

test('an alert drill whose alarm is in ALARM before the fault stops with exit 3 and injects nothing', async () => {
  const suite = suiteSchema.parse({
    service: 'drill-test',
    environments: { local: { target: upstreamUrl, timeScale: 50 } },
    alarms: [
      {
        AlarmName: 'Errors',
        Namespace: 'N',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 10,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        severity: 'critical',
      },
    ],
    experiments: {
      errors: {
        targets: {
          Functions: { resourceType: 'aws:lambda:function', resourceTags: { s: 'x' }, selectionMode: 'ALL' },
        },
        actions: {
          errors: {
            actionId: 'aws:lambda:invocation-error',
            parameters: { duration: 'PT1S', invocationPercentage: '100', preventExecution: 'true' },
            targets: { Functions: 'Functions' },
          },
        },
      },
    },
    // The steady state is waited for up to the longer deadline: 400 ms here.
    drills: {
      alert: {
        kind: 'alert',
        experiment: 'errors',
        alarm: 'Errors',
        alarmWithin: '300ms',
        recoverWithin: '400ms',
      },
    },
  });
  // 10 s periods at timeScale 50: evaluated every 200 ms; errors before the fault hold it in ALARM.
  const telemetry = await new EmbeddedTelemetry({ alarms: suite.alarms, timeScale: 50 }).start({
    otlp: false,
  });
  const feed = setInterval(() => void telemetry.putMetricData('N', [{ MetricName: 'Errors', Value: 1 }]), 20);
  const timeline = new Timeline();
  const context: RunContext = {
    runId: 'test',
    command: 'drill alert',
    loaded: { suite, file: '/x/opsproof.config.ts', dir: '/x', warnings: [] },
    env: { ...suite.environments.local!, name: 'local' },
    targetUrl: upstreamUrl,
    target: undefined,
    timeline,
    telemetry,
    clock: systemClock,
    signal: new AbortController().signal,
    outDir: mkdtempSync(join(tmpdir(), 'opsproof-alert-drill-')),
    options: { kpis: [], allowProduction: false, dryRun: false },
  };
  try {
    while ((await telemetry.getAlarmState('Errors')) !== 'ALARM') await new Promise((r) => setTimeout(r, 20));
    const running = createDrillStage('alert', { interactive: false }).run(context);
    await expect(running).rejects.toThrow(EnvironmentError);
    await expect(running).rejects.toThrow(
      /^drill alert: steady state not met: Errors is ALARM after waiting \d+ms; the drill needs a steady state to start from$/,
    );
    expect(timeline.ofType('fault.start')).toEqual([]);
    expect(timeline.ofType('experiment.start')).toEqual([]);
  } finally {
    clearInterval(feed);
    await telemetry.close();
  }
});
