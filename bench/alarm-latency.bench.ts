/**
 * Benchmark: time from an alarm's state change to the expectation's verdict (alarm-fires).
 * - embedded: the evaluator changes state on its timer; the expectation hears it on the timeline
 *   (goal < 1 s).
 * - aws against moto, poll path: SetAlarmState, read back by polling (DescribeAlarmHistory; moto lacks
 *   it, so the provider falls back to DescribeAlarms state) (goal < 5 s).
 * - aws against moto, push path: SetAlarmState plus the "CloudWatch Alarm State Change" event that
 *   CloudWatch would send (moto does not emit it), routed by the EventBridge rule into SQS and read
 *   by the long-polling reader (goal < 5 s).
 * Run: `npx tsx bench/alarm-latency.bench.ts [runs]` (moto via OPSPROOF_MOTO or `npm run setup`).
 */
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { evaluateExpectations } from '../assertions/evaluate-expectation.ts';
import { systemClock } from '../core/clock.ts';
import type { AlarmDefinition } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { findTool } from '../core/tools.ts';
import { createAlarmEventsQueue } from '../telemetry/aws/alarm-events.ts';
import { AwsTelemetry, createAwsClients } from '../telemetry/aws/aws-telemetry.ts';
import { startMotoServer } from '../telemetry/aws/start-moto-server.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import type { Telemetry } from '../telemetry/port.ts';

const runs = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Starts an alarm-fires expectation, runs `change` (which returns the wall time of the state change), returns verdict − change. */
async function measure(
  telemetry: Telemetry,
  timeline: Timeline,
  alarm: string,
  change: () => Promise<number>,
) {
  timeline.emit({ type: 'fault.start', faultId: 'bench', spec: 'bench', where: 'bench' });
  const verdict = evaluateExpectations(
    [{ kind: 'alarm-fires', alarm, within: '30s', after: 'fault.start' }],
    {
      timeline,
      telemetry,
      clock: systemClock,
      signal: new AbortController().signal,
      pollIntervalMs: 250,
    },
  ).then((r) => ({ result: r[0]!, at: Date.now() }));
  // Let the expectation make its first reads (the state before the change) before changing it.
  await new Promise((r) => setTimeout(r, 500));
  const changedAt = await change();
  const { result, at } = await verdict;
  if (result.status !== 'passed') throw new Error(`expectation ${result.status}: ${result.message}`);
  return at - changedAt;
}

const embedded: number[] = [];
const alarm: AlarmDefinition = {
  AlarmName: 'Bench',
  Namespace: 'Bench',
  MetricName: 'Errors',
  Statistic: 'Sum',
  Period: 10,
  EvaluationPeriods: 1,
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
  severity: 'info',
};
for (let i = 0; i < runs; i++) {
  const timeline = new Timeline();
  const telemetry = await new EmbeddedTelemetry({ alarms: [alarm], timeScale: 10, timeline }).start({
    otlp: false,
  });
  embedded.push(
    await measure(telemetry, timeline, 'Bench', async () => {
      await telemetry.putMetricData('Bench', [{ MetricName: 'Errors', Value: 1 }]);
      const change = await new Promise<{ timestamp: Date }>((resolve) =>
        telemetry.onAlarmStateChange((c) => c.newState === 'ALARM' && resolve(c)),
      );
      return change.timestamp.getTime();
    }),
  );
  await telemetry.close();
}
console.log(
  `embedded: state change → verdict median ${median(embedded).toFixed(0)} ms (runs: ${embedded.map((x) => x.toFixed(0)).join(', ')}; goal < 1000 ms)`,
);

const motoPath = findTool('moto_server');
if (!motoPath) {
  console.log('aws: skipped (moto_server not found; run `npm run setup` or set OPSPROOF_MOTO)');
} else {
  const moto = await startMotoServer(motoPath);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
  });
  const region = 'us-east-1';
  const cw = new CloudWatchClient({ region });
  const sqs = new SQSClient({ region });
  const events = new EventBridgeClient({ region });
  const { queueUrl } = await createAlarmEventsQueue({ sqs, events }, { suite: 'bench' });
  const poll: number[] = [];
  const push: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      for (const [path, samples] of [
        ['poll', poll],
        ['push', push],
      ] as const) {
        const name = `bench-${path}-${i}`;
        await cw.send(
          new PutMetricAlarmCommand({
            AlarmName: name,
            Namespace: 'Bench',
            MetricName: 'Errors',
            Statistic: 'Sum',
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 0,
            ComparisonOperator: 'GreaterThanThreshold',
          }),
        );
        await cw.send(
          new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'bench reset' }),
        );
        const timeline = new Timeline();
        const telemetry = new AwsTelemetry({
          clients: createAwsClients(region),
          timeline,
          queueWaitSeconds: 1,
          ...(path === 'push' ? { alarmEventsQueueUrl: queueUrl } : {}),
        });
        samples.push(
          await measure(telemetry, timeline, name, async () => {
            await cw.send(
              new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'bench' }),
            );
            const at = Date.now();
            if (path === 'push') {
              await events.send(
                new PutEventsCommand({
                  Entries: [
                    {
                      Source: 'aws.cloudwatch',
                      DetailType: 'CloudWatch Alarm State Change',
                      Detail: JSON.stringify({
                        alarmName: name,
                        state: { value: 'ALARM', reason: 'bench', timestamp: new Date(at).toISOString() },
                        previousState: { value: 'OK' },
                      }),
                    },
                  ],
                }),
              );
            }
            return at;
          }),
        );
        await telemetry.close();
      }
    }
    console.log(
      `aws (moto), poll path: state change → verdict median ${median(poll).toFixed(0)} ms (runs: ${poll.map((x) => x.toFixed(0)).join(', ')}; goal < 5000 ms)`,
    );
    console.log(
      `aws (moto), push path (EventBridge → SQS): median ${median(push).toFixed(0)} ms (runs: ${push.map((x) => x.toFixed(0)).join(', ')}; goal < 5000 ms)`,
    );
  } finally {
    cw.destroy();
    sqs.destroy();
    events.destroy();
    await moto.close();
  }
}
