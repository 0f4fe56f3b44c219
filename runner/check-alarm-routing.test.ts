import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { CreateTopicCommand, ListSubscriptionsCommand, SNSClient } from '@aws-sdk/client-sns';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { EnvironmentError } from '../core/errors.ts';
import { requireTool } from '../core/tools.ts';
import { type MotoServer, startMotoServer } from '../telemetry/aws/start-moto-server.ts';
import { startAlarmActionStandIn } from './alarm-action-stand-in.ts';
import {
  buildAlertTopicName,
  checkAlarmRouting,
  findTopicAction,
  judgeActionHistory,
} from './check-alarm-routing.ts';
import { parseTopicAlarmMessage } from './subscribe-topic-queue.ts';

const topic = (name: string) => `arn:aws:sns:eu-west-1:123456789012:${name}`;

test.each([
  [[topic('svc-staging-critical')], 'svc-staging-critical', topic('svc-staging-critical')],
  [[topic('svc-staging-warning')], 'svc-staging-critical', undefined],
  [
    ['arn:aws:autoscaling:eu-west-1:1:scalingPolicy:x', topic('svc-staging-critical')],
    'svc-staging-critical',
    topic('svc-staging-critical'),
  ],
  [[topic('svc-staging-critical-2')], 'svc-staging-critical', undefined],
])('findTopicAction(%j, %s)', (actions, name, expected) => {
  expect(findTopicAction(actions, name).topicArn).toBe(expected);
});

test.each([
  ['Successfully executed action arn:aws:sns:eu-west-1:123456789012:t', true],
  ['Failed to execute action arn:aws:sns:eu-west-1:123456789012:t. Received error: "not authorized"', false],
  ['Alarm updated from OK to ALARM', undefined],
])('judgeActionHistory(%s)', (summary, executed) => {
  const t = 'arn:aws:sns:eu-west-1:123456789012:t';
  expect(judgeActionHistory([{ HistoryItemType: 'Action', HistorySummary: summary }], t)?.executed).toBe(
    executed,
  );
});

test('parseTopicAlarmMessage reads the SNS envelope and raw delivery, and ignores other messages', () => {
  const alarm = {
    AlarmName: 'A',
    NewStateValue: 'ALARM',
    OldStateValue: 'OK',
    NewStateReason: 'r',
    StateChangeTime: 't',
  };
  const envelope = JSON.stringify({
    Type: 'Notification',
    TopicArn: topic('x'),
    Message: JSON.stringify(alarm),
  });
  expect(parseTopicAlarmMessage(envelope, 5)).toEqual({ ...alarm, TopicArn: topic('x'), receivedAt: 5 });
  expect(parseTopicAlarmMessage(JSON.stringify(alarm), 5)?.TopicArn).toBeNull();
  expect(parseTopicAlarmMessage('{"Type":"SubscriptionConfirmation"}', 5)).toBeUndefined();
  expect(parseTopicAlarmMessage('not json', 5)).toBeUndefined();
});

test('buildAlertTopicName names topics as infra deploys them', () => {
  expect(buildAlertTopicName('opsproof-demo', 'staging', 'critical')).toBe('opsproof-demo-staging-critical');
});

const moto = requireTool('moto_server');
const region = 'eu-west-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let server: MotoServer | undefined;
let cloudwatch: CloudWatchClient;
let sns: SNSClient;
let sqs: SQSClient;
const topics: Record<string, string> = {};

function context() {
  return {
    env: { name: 'drill', provider: 'aws', region, aws: { alarmPrefix: 'svc-drill-' } },
    loaded: { suite: { service: 'svc' } },
    clock: systemClock,
    signal: new AbortController().signal,
    runId: `test-${Math.random().toString(36).slice(2, 8)}`,
  } as unknown as Parameters<typeof checkAlarmRouting>[0];
}

async function putAlarm(name: string, actions: string[]) {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: `svc-drill-${name}`,
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0.05,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: actions,
      OKActions: actions,
    }),
  );
}

describe.skipIf(moto.skip)('aws routing check against moto', () => {
  beforeAll(async () => {
    server = await startMotoServer(moto.path!);
    const config = { region, endpoint: server.endpoint, credentials };
    cloudwatch = new CloudWatchClient(config);
    sns = new SNSClient(config);
    sqs = new SQSClient(config);
    for (const severity of ['critical', 'warning']) {
      const created = await sns.send(new CreateTopicCommand({ Name: `svc-drill-${severity}` }));
      topics[severity] = created.TopicArn!;
    }
    await putAlarm('Routed', [topics.critical!]);
    await putAlarm('Misrouted', [topics.warning!]);
    await putAlarm('Silent', []);
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  });

  test('SetAlarmState ALARM reaches a subscriber of the severity topic; the alarm ends OK and the queue is removed', async () => {
    const standIn = startAlarmActionStandIn(cloudwatch, sns);
    try {
      const routing = await checkAlarmRouting(
        context(),
        { AlarmName: 'Routed', severity: 'critical' },
        {
          cloudwatch,
          sns,
          sqs,
          timeoutMs: 10_000,
        },
      );
      expect(routing.check).toMatchObject({ id: 'drill:routing:Routed', status: 'passed', unit: 'ms' });
      expect(routing.atMs).toBeGreaterThanOrEqual(0);
      expect(routing.topicArn).toBe(topics.critical);
      expect(standIn.published).toContainEqual({
        alarm: 'svc-drill-Routed',
        state: 'ALARM',
        topic: topics.critical,
      });
    } finally {
      await standIn.stop();
    }
    const state = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['svc-drill-Routed'] }));
    expect(state.MetricAlarms?.[0]?.StateValue).toBe('OK');
    expect(
      (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'opsproof-drill-' }))).QueueUrls ?? [],
    ).toEqual([]);
    const subscriptions = (await sns.send(new ListSubscriptionsCommand({}))).Subscriptions ?? [];
    expect(subscriptions.filter((s) => s.Protocol === 'sqs')).toEqual([]);
  });

  test('an alarm routed to another severity is a failed check naming both topics, and is never set to ALARM', async () => {
    const before = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['svc-drill-Misrouted'] })))
      .MetricAlarms?.[0];
    const routing = await checkAlarmRouting(
      context(),
      { AlarmName: 'Misrouted', severity: 'critical' },
      {
        cloudwatch,
        sns,
        sqs,
      },
    );
    expect(routing.check.status).toBe('failed');
    expect(routing.check.message).toContain(topics.warning);
    expect(routing.check.message).toContain('expected the critical topic svc-drill-critical');
    const after = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['svc-drill-Misrouted'] })))
      .MetricAlarms?.[0];
    expect(after?.StateUpdatedTimestamp).toEqual(before?.StateUpdatedTimestamp);
  });

  test.each([
    ['Missing', /alarm svc-drill-Missing is not deployed in eu-west-1/],
    ['Silent', /alarm svc-drill-Silent has no AlarmActions/],
  ])('alarm %s is an environment error (exit 3)', async (name, message) => {
    const error = await checkAlarmRouting(
      context(),
      { AlarmName: name, severity: 'critical' },
      {
        cloudwatch,
        sns,
        sqs,
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toMatch(message);
  });

  test('no message within the timeout fails the check and still sets the alarm back to OK', async () => {
    // No stand-in: nothing publishes, as when CloudWatch cannot run the action.
    const routing = await checkAlarmRouting(
      context(),
      { AlarmName: 'Routed', severity: 'critical' },
      {
        cloudwatch,
        sns,
        sqs,
        timeoutMs: 1500,
      },
    );
    expect(routing.check).toMatchObject({ status: 'failed', measured: null });
    expect(routing.check.message).toMatch(/no ALARM message of svc-drill-Routed reached a subscriber/);
    const state = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['svc-drill-Routed'] }));
    expect(state.MetricAlarms?.[0]?.StateValue).toBe('OK');
  });

  test("real AWS path: a failed action in the alarm history (mocked: moto lacks DescribeAlarmHistory) fails the check with CloudWatch's words", async () => {
    // DescribeAlarms and SetAlarmState go to moto; only DescribeAlarmHistory is mocked, with the
    // AlarmHistoryItem shape of the CloudWatch API reference.
    const real = new CloudWatchClient({ region, endpoint: server!.endpoint, credentials });
    const mocked = new CloudWatchClient({ region, endpoint: server!.endpoint, credentials });
    const mock = mockClient(mocked);
    mock.on(DescribeAlarmsCommand).callsFake((input) => real.send(new DescribeAlarmsCommand(input)));
    mock.on(SetAlarmStateCommand).callsFake((input) => real.send(new SetAlarmStateCommand(input)));
    const summary = `Failed to execute action ${topics.critical}. Received error: "Resource: arn:aws:cloudwatch:eu-west-1:123456789012:alarm:svc-drill-Routed is not authorized to perform: SNS:Publish on resource: ${topics.critical}"`;
    mock.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [
        {
          AlarmName: 'svc-drill-Routed',
          AlarmType: 'MetricAlarm',
          Timestamp: new Date(),
          HistoryItemType: 'Action',
          HistorySummary: summary,
          HistoryData: JSON.stringify({ actionState: 'Failed', notificationResource: topics.critical }),
        },
      ],
    });
    const routing = await checkAlarmRouting(
      context(),
      { AlarmName: 'Routed', severity: 'critical' },
      {
        cloudwatch: mocked,
        sns,
        sqs,
        timeoutMs: 20_000,
      },
    );
    expect(routing.check.status).toBe('failed');
    expect(routing.check.message).toBe(`CloudWatch could not notify ${topics.critical}: ${summary}`);
    expect(mock.commandCalls(SetAlarmStateCommand).map((c) => c.args[0].input.StateValue)).toEqual([
      'ALARM',
      'OK',
    ]);
    mock.restore();
  });
});
