import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetTraceSummariesCommand, XRayClient } from '@aws-sdk/client-xray';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EnvironmentError } from '../../core/errors.ts';
import { requireTool } from '../../core/tools.ts';
import { createAlarmEventsQueue, parseAlarmStateChangeEvent } from './alarm-events.ts';
import {
  AwsTelemetry,
  buildAlarmDataQueries,
  buildLogsFilterPattern,
  buildXrayFilterExpression,
  createAwsClients,
  parseHistoryData,
} from './aws-telemetry.ts';
import { type MotoServer, startMotoServer } from './start-moto-server.ts';
import { withAwsRetries } from './with-aws-retries.ts';

const moto = requireTool('moto_server');
const region = 'us-east-1';

describe.skipIf(moto.skip !== undefined)(`aws provider against moto ${moto.skip ?? ''}`, () => {
  let server: MotoServer;
  const saved = { ...process.env };
  beforeAll(async () => {
    server = await startMotoServer(moto.path!);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: server.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: region,
    });
  });
  afterAll(async () => {
    for (const key of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await server?.close();
  });

  test('metrics, alarm state by prefix, and metric statistics', async () => {
    const telemetry = new AwsTelemetry({ clients: createAwsClients(region), alarmPrefix: 'demo-' });
    const cw = new CloudWatchClient({ region });
    const now = new Date();
    await telemetry.putMetricData('Demo', [
      { MetricName: 'Errors', Dimensions: [{ Name: 'Service', Value: 'api' }], Value: 3, Timestamp: now },
      { MetricName: 'Errors', Dimensions: [{ Name: 'Service', Value: 'api' }], Value: 5, Timestamp: now },
    ]);
    const stats = await telemetry.getMetricStatistics({
      id: { Namespace: 'Demo', MetricName: 'Errors', Dimensions: [{ Name: 'Service', Value: 'api' }] },
      statistic: 'Sum',
      periodSeconds: 60,
      from: new Date(now.getTime() - 120_000),
      to: new Date(now.getTime() + 60_000),
    });
    expect(stats.reduce((n, d) => n + d.value, 0)).toBe(8);

    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'demo-HighErrorRate',
        Namespace: 'Demo',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await cw.send(
      new SetAlarmStateCommand({ AlarmName: 'demo-HighErrorRate', StateValue: 'ALARM', StateReason: 'test' }),
    );
    expect(await telemetry.getAlarmState('HighErrorRate')).toBe('ALARM');
    expect(await telemetry.getAlarmState('Nope')).toBeUndefined();
    expect(await telemetry.listAlarmNames()).toContain('HighErrorRate');
    cw.destroy();
    await telemetry.close();
  });

  test("an alarm's datapoints in a window, read with its own metric and statistic (GetMetricData)", async () => {
    const telemetry = new AwsTelemetry({ clients: createAwsClients(region), alarmPrefix: 'ev-' });
    const cw = new CloudWatchClient({ region });
    const dims = [{ Name: 'Service', Value: 'evidence' }];
    // Two whole minutes back, so both periods are complete and inside the window.
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const first = new Date(minute - 120_000);
    const second = new Date(minute - 60_000);
    await telemetry.putMetricData('Evidence', [
      { MetricName: 'Latency', Dimensions: dims, Value: 100, Timestamp: new Date(first.getTime() + 5000) },
      { MetricName: 'Latency', Dimensions: dims, Value: 300, Timestamp: new Date(first.getTime() + 9000) },
      { MetricName: 'Latency', Dimensions: dims, Value: 50, Timestamp: new Date(second.getTime() + 1000) },
      // Outside the window: must not be counted.
      { MetricName: 'Latency', Dimensions: dims, Value: 9, Timestamp: new Date(minute - 600_000) },
    ]);
    const alarm = {
      Namespace: 'Evidence',
      MetricName: 'Latency',
      Dimensions: dims,
      Statistic: 'Average' as const,
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold' as const,
    };
    await cw.send(new PutMetricAlarmCommand({ AlarmName: 'ev-Slow', ...alarm }));
    await cw.send(
      new PutMetricAlarmCommand({ AlarmName: 'ev-Unfed', ...alarm, MetricName: 'NothingSendsThis' }),
    );
    const window = { from: new Date(first.getTime() + 1000), to: new Date(minute - 1) };
    const points = await telemetry.getAlarmDatapoints('Slow', window);
    expect(points?.map((p) => [p.timestamp.getTime(), p.value])).toEqual([
      [first.getTime(), 200],
      [second.getTime(), 50],
    ]);
    expect(await telemetry.getAlarmDatapoints('Unfed', window)).toEqual([]);
    expect(await telemetry.getAlarmDatapoints('Nope', window)).toBeUndefined();
    cw.destroy();
    await telemetry.close();
  });

  test('push path: the EventBridge rule routes alarm state changes into SQS, read by long polling', async () => {
    const sqs = new SQSClient({ region });
    const events = new EventBridgeClient({ region });
    const { queueUrl } = await createAlarmEventsQueue(
      { sqs, events },
      { suite: 'test', alarmPrefix: 'demo-' },
    );
    const telemetry = new AwsTelemetry({
      clients: createAwsClients(region),
      alarmPrefix: 'demo-',
      alarmEventsQueueUrl: queueUrl,
      queueWaitSeconds: 1,
    });
    const received = new Promise((resolve) => telemetry.onAlarmStateChange(resolve));
    // moto does not emit CloudWatch's own events: the event is put as CloudWatch would send it.
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'aws.cloudwatch',
            DetailType: 'CloudWatch Alarm State Change',
            Detail: JSON.stringify({
              alarmName: 'demo-HighErrorRate',
              state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: new Date().toISOString() },
              previousState: { value: 'OK' },
            }),
          },
        ],
      }),
    );
    expect(await received).toMatchObject({ alarmName: 'HighErrorRate', oldState: 'OK', newState: 'ALARM' });
    await telemetry.close();
    sqs.destroy();
    events.destroy();
  });

  test('CloudWatch Logs by JSON field', async () => {
    const telemetry = new AwsTelemetry({ clients: createAwsClients(region), logGroups: ['/demo/api'] });
    const logs = new CloudWatchLogsClient({ region });
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/demo/api' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/demo/api', logStreamName: 's' }));
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: '/demo/api',
        logStreamName: 's',
        logEvents: [
          { timestamp: Date.now(), message: JSON.stringify({ correlationId: 'cid-1', route: '/api' }) },
          { timestamp: Date.now(), message: JSON.stringify({ correlationId: 'cid-2', route: '/api' }) },
        ],
      }),
    );
    const found = await telemetry.findLogs({
      fields: { correlationId: 'cid-1' },
      from: new Date(Date.now() - 60_000),
    });
    expect(found.map((r) => r.fields.correlationId)).toEqual(['cid-1']);
    logs.destroy();
    await telemetry.close();
  });
});

describe('where moto lacks an API or a failure mode: aws-sdk-client-mock with API-reference shapes', () => {
  test('X-Ray GetTraceSummaries with an annotation filter (moto: "Not implemented yet" for filters)', async () => {
    const xray = new XRayClient({ region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(xray);
    mock.on(GetTraceSummariesCommand).resolves({
      TraceSummaries: [
        {
          Id: '1-6560a4d0-a006649127e371903a2de979',
          StartTime: new Date('2026-01-01T00:00:01Z'),
          Duration: 0.25,
          ResponseTime: 0.25,
          Annotations: { correlation_id: [{ AnnotationValue: { StringValue: 'cid-1' } }] },
        },
      ],
      ApproximateTime: new Date('2026-01-01T00:01:00Z'),
      TracesProcessedCount: 1,
    });
    const telemetry = new AwsTelemetry({ clients: { ...createAwsClients(region), xray } });
    const from = new Date('2026-01-01T00:00:00Z');
    const to = new Date('2026-01-01T00:05:00Z');
    const traces = await telemetry.findTraces({ attributes: { correlation_id: 'cid-1' }, from, to });
    expect(traces).toMatchObject([
      {
        traceId: '1-6560a4d0-a006649127e371903a2de979',
        durationMs: 250,
        attributes: { correlation_id: 'cid-1' },
      },
    ]);
    expect(mock.commandCalls(GetTraceSummariesCommand)[0]!.args[0].input).toEqual({
      StartTime: from,
      EndTime: to,
      FilterExpression: 'annotation.correlation_id = "cid-1"',
    });
    await telemetry.close();
  });

  test('composite alarms (moto 5.2.5: "The put_composite_alarm action has not been implemented"; AWS returns composites only when AlarmTypes asks): DescribeAlarms asks for both, and a composite over a math alarm shows its datapoints', async () => {
    const cw = new CloudWatchClient({ region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(cw);
    const first = new Date('2026-01-01T00:01:00Z');
    const second = new Date('2026-01-01T00:02:00Z');
    const queries = [
      {
        Id: 'errors',
        MetricStat: { Metric: { Namespace: 'D', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' },
        ReturnData: false,
      },
      {
        Id: 'requests',
        MetricStat: { Metric: { Namespace: 'D', MetricName: 'Count' }, Period: 60, Stat: 'Sum' },
        ReturnData: false,
      },
      { Id: 'rate', Expression: 'IF(requests > 0, errors / requests, 0)', ReturnData: true },
    ];
    // Shapes of the CloudWatch API reference: DescribeAlarms (CompositeAlarms[].AlarmRule, StateValue;
    // MetricAlarms[].Metrics) and GetMetricData (MetricDataResults[].Id, Timestamps, Values).
    mock
      .on(DescribeAlarmsCommand, {
        AlarmNames: ['demo-Degraded'],
        AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
      })
      .resolves({
        CompositeAlarms: [
          {
            AlarmName: 'demo-Degraded',
            AlarmRule:
              'ALARM(demo-Inner) OR NOT OK(arn:aws:cloudwatch:us-east-1:123456789012:alarm:demo-Degraded)',
            StateValue: 'OK',
          },
        ],
        MetricAlarms: [],
      });
    // A nested composite: its child's datapoints count for the outer one.
    mock
      .on(DescribeAlarmsCommand, {
        AlarmNames: ['demo-Inner'],
        AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
      })
      .resolves({
        CompositeAlarms: [
          { AlarmName: 'demo-Inner', AlarmRule: 'ALARM("demo-ErrorRate")', StateValue: 'OK' },
        ],
        MetricAlarms: [],
      });
    mock
      .on(DescribeAlarmsCommand, {
        AlarmNames: ['demo-ErrorRate'],
        AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
      })
      .resolves({
        MetricAlarms: [{ AlarmName: 'demo-ErrorRate', Metrics: queries, StateValue: 'OK' }],
        CompositeAlarms: [],
      });
    mock
      .on(DescribeAlarmsCommand, { AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], AlarmNamePrefix: 'demo-' })
      .resolves({
        MetricAlarms: [{ AlarmName: 'demo-ErrorRate' }],
        CompositeAlarms: [{ AlarmName: 'demo-Degraded' }],
      });
    mock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'rate', Timestamps: [second, first], Values: [0, 0.02], StatusCode: 'Complete' },
      ],
    });
    const telemetry = new AwsTelemetry({
      clients: { ...createAwsClients(region), cloudwatch: cw },
      alarmPrefix: 'demo-',
    });
    expect(await telemetry.getAlarmState('Degraded')).toBe('OK');
    expect((await telemetry.listAlarmNames()).sort()).toEqual(['Degraded', 'ErrorRate']);
    const points = await telemetry.getAlarmDatapoints('Degraded', {
      from: first,
      to: new Date('2026-01-01T00:03:00Z'),
    });
    // The composite naming itself by ARN is not followed; its math child's returned query is its evidence.
    expect(points).toEqual([
      { timestamp: first, value: 0.02, sampleCount: 0, alarm: 'ErrorRate' },
      { timestamp: second, value: 0, sampleCount: 0, alarm: 'ErrorRate' },
    ]);
    expect(mock.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries).toEqual(queries);
    for (const call of mock.commandCalls(DescribeAlarmsCommand)) {
      expect(call.args[0].input.AlarmTypes).toEqual(['CompositeAlarm', 'MetricAlarm']);
    }
    await telemetry.close();
  });

  test('DescribeAlarmHistory (not in moto): state changes parsed from HistoryData', async () => {
    const cw = new CloudWatchClient({ region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(cw);
    mock.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [
        {
          AlarmName: 'demo-HighErrorRate',
          Timestamp: new Date('2026-01-01T00:05:00Z'),
          HistoryItemType: 'StateUpdate',
          HistorySummary: 'Alarm updated from OK to ALARM',
          HistoryData: JSON.stringify({
            version: '1.0',
            oldState: { stateValue: 'OK', stateReason: 'Threshold Crossed: no datapoints were breaching' },
            newState: {
              stateValue: 'ALARM',
              stateReason:
                'Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (0.05)',
            },
          }),
        },
      ],
    });
    const clients = { ...createAwsClients(region), cloudwatch: cw };
    const telemetry = new AwsTelemetry({ clients, alarmPrefix: 'demo-' });
    const history = await telemetry.getAlarmHistory('HighErrorRate', {
      from: new Date('2026-01-01T00:00:00Z'),
    });
    expect(history).toEqual([
      {
        alarmName: 'HighErrorRate',
        timestamp: new Date('2026-01-01T00:05:00Z'),
        oldState: 'OK',
        newState: 'ALARM',
        reason: 'Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (0.05)',
      },
    ]);
    expect(mock.commandCalls(DescribeAlarmHistoryCommand)[0]!.args[0].input).toMatchObject({
      AlarmName: 'demo-HighErrorRate',
      // Without it CloudWatch leaves composite alarms' history out.
      AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
      HistoryItemType: 'StateUpdate',
    });
    await telemetry.close();
  });

  test('throttling is retried with backoff, then becomes an environment error (exit 3)', async () => {
    const cw = new CloudWatchClient({ region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(cw);
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
    });
    mock
      .on(DescribeAlarmsCommand)
      .rejectsOnce(throttled)
      .resolves({ MetricAlarms: [{ AlarmName: 'A', StateValue: 'OK' }] });
    const delays: number[] = [];
    const sleep = async (ms: number) => {
      delays.push(ms);
    };
    const clients = { ...createAwsClients(region), cloudwatch: cw };
    const ok = new AwsTelemetry({ clients, retry: { sleep } });
    expect(await ok.getAlarmState('A')).toBe('OK');
    expect(delays).toHaveLength(1);

    mock.reset();
    mock.on(DescribeAlarmsCommand).rejects(throttled);
    const error = await new AwsTelemetry({ clients, retry: { sleep, attempts: 4 } })
      .getAlarmState('A')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).exitCode).toBe(3);
    expect((error as EnvironmentError).message).toBe(
      'AWS kept throttling CloudWatch DescribeAlarms after 4 attempts.',
    );
    expect(delays).toHaveLength(1 + 3);
    expect(delays[3]!).toBeGreaterThan(delays[1]! / 2);
  });

  test.each([
    'ExpiredToken',
    'ExpiredTokenException',
    'CredentialsProviderError',
    'UnrecognizedClientException',
  ])('%s becomes one sentence about credentials (exit 3)', async (name) => {
    const error = await withAwsRetries('X-Ray GetTraceSummaries', () =>
      Promise.reject(
        Object.assign(new Error('The security token included in the request is expired'), { name }),
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).problem).toBe('credentials');
    expect((error as EnvironmentError).message).toBe(
      `AWS credentials are missing or expired (X-Ray GetTraceSummaries: ${name}).`,
    );
  });
});

describe('pure builders and parsers', () => {
  test.each([
    [{ correlation_id: 'abc' }, 'annotation.correlation_id = "abc"'],
    [
      { 'http.route': '/x', n: 3, ok: true },
      'annotation.http_route = "/x" AND annotation.n = 3 AND annotation.ok = true',
    ],
  ])('X-Ray filter %o', (attrs, expected) => {
    expect(buildXrayFilterExpression(attrs)).toBe(expected);
  });

  test.each([
    [{ correlationId: 'abc' }, '{ ($.correlationId = "abc") }'],
    [{ correlationId: 'abc', status: 500 }, '{ ($.correlationId = "abc") && ($.status = 500) }'],
    [{}, ''],
  ])('Logs filter pattern %o', (fields, expected) => {
    expect(buildLogsFilterPattern(fields)).toBe(expected);
  });

  test.each([
    [
      'a metric and a percentile',
      { Namespace: 'N', MetricName: 'Latency', ExtendedStatistic: 'p99', Period: 60 },
      [
        {
          Id: 'alarm',
          MetricStat: { Metric: { Namespace: 'N', MetricName: 'Latency' }, Period: 60, Stat: 'p99' },
          ReturnData: true,
        },
      ],
    ],
    [
      'metric math as written',
      { Metrics: [{ Id: 'e', Expression: 'm1 / m2', ReturnData: true }] },
      [{ Id: 'e', Expression: 'm1 / m2', ReturnData: true }],
    ],
    ['neither', { Namespace: 'N', Period: 60, Statistic: 'Sum' }, undefined],
  ])('alarm data queries: %s', (_what, alarm, expected) => {
    expect(buildAlarmDataQueries(alarm)).toEqual(expected);
  });

  test('history data and EventBridge events', () => {
    expect(parseHistoryData('A', new Date(0), 'not json')).toBeUndefined();
    expect(parseAlarmStateChangeEvent('{"detail-type":"Other"}')).toBeUndefined();
    expect(
      parseAlarmStateChangeEvent(
        JSON.stringify({
          'detail-type': 'CloudWatch Alarm State Change',
          detail: {
            alarmName: 'A',
            state: { value: 'OK', reason: 'r', timestamp: '2026-01-01T00:00:00Z' },
            previousState: { value: 'ALARM' },
          },
        }),
      ),
    ).toEqual({
      alarmName: 'A',
      timestamp: new Date('2026-01-01T00:00:00Z'),
      oldState: 'ALARM',
      newState: 'OK',
      reason: 'r',
    });
  });

  test.each([
    ['an unknown state', { value: 'FIRING' }, { value: 'OK' }],
    ['an unknown previous state', { value: 'ALARM' }, { value: 'ok' }],
    ['no state', {}, { value: 'OK' }],
  ])('an alarm event with %s is not a state change', (_what, state, previousState) => {
    const event = {
      'detail-type': 'CloudWatch Alarm State Change',
      detail: { alarmName: 'A', state, previousState },
    };
    expect(parseAlarmStateChangeEvent(JSON.stringify(event))).toBeUndefined();
  });
});
