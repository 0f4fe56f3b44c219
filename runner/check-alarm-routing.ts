import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { formatDuration } from '../core/duration.ts';
import { describeError, EnvironmentError } from '../core/errors.ts';
import type { Check } from '../core/run-result.ts';
import type { AlarmDefinition } from '../core/schema.ts';
import type { RunContext } from './stage.ts';
import { subscribeTopicQueue, type TopicAlarmMessage, type TopicQueue } from './subscribe-topic-queue.ts';

export interface RoutingCheck {
  check: Check;
  /** ms from the SetAlarmState call until the ALARM notification reached the topic's subscriber. */
  atMs: number | null;
  /** The topic of the alarm's severity. */
  topicArn?: string;
  /** With `keepSubscribed`: the subscriber on that topic, for the real fault's notifications. Close it. */
  subscriber?: TopicQueue;
}

export interface AlarmRoutingOptions {
  cloudwatch?: CloudWatchClient;
  sns?: SNSClient;
  sqs?: SQSClient;
  /** Longest wait for the notification after SetAlarmState. @defaultValue 60_000 */
  timeoutMs?: number;
  /** Leave the queue subscribed after the check (the drill reads the real fault's notifications). */
  keepSubscribed?: boolean;
}

/** The SNS topic name infra deploys for a severity (`infra/alert-routing.ts`). Pure. */
export function buildAlertTopicName(service: string, envName: string, severity: string): string {
  return `${service}-${envName}-${severity}`;
}

/** The SNS topics among an alarm's actions, and the one named `topicName`. Pure. */
export function findTopicAction(
  actions: readonly string[],
  topicName: string,
): { topicArn?: string; topics: string[] } {
  const topics = actions.filter((a) => a.startsWith('arn:') && a.split(':')[2] === 'sns');
  return { topicArn: topics.find((a) => a.split(':')[5] === topicName), topics };
}

/** What the alarm history says about the action on `topicArn`: CloudWatch's own words. Pure. */
export function judgeActionHistory(
  items: readonly { HistoryItemType?: string; HistorySummary?: string }[],
  topicArn: string,
): { executed: boolean; summary: string } | undefined {
  for (const item of items) {
    const summary = item.HistorySummary ?? '';
    if (item.HistoryItemType && item.HistoryItemType !== 'Action') continue;
    if (!summary.includes(topicArn)) continue;
    if (/^Failed to execute action/i.test(summary)) return { executed: false, summary };
    if (/^Successfully executed action/i.test(summary)) return { executed: true, summary };
  }
  return undefined;
}

const region = (context: Pick<RunContext, 'env'>) =>
  context.env.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;

/**
 * The routing half of an aws alert drill, before the real fault:
 *
 * 1. the deployed alarm exists and its `AlarmActions` name the SNS topic of its severity, as infra
 *    deploys it (`<service>-<env>-<severity>`); a missing alarm or one without actions is an
 *    {@link EnvironmentError} (exit 3), a topic of another severity a failed check (nobody is paged
 *    with SetAlarmState then: it would page the wrong people);
 * 2. a temporary SQS queue is subscribed to that topic, `SetAlarmState` puts the alarm into ALARM,
 *    and the check passes when CloudWatch's ALARM message arrives in the queue (the alarm history's
 *    `Action` items name a failed publish early, where the API has them);
 * 3. `SetAlarmState` puts the alarm back to OK, and the queue is removed (unless `keepSubscribed`).
 *
 * The measured time is from SetAlarmState to the message in the queue.
 */
export async function checkAlarmRouting(
  context: Pick<RunContext, 'env' | 'clock' | 'signal' | 'loaded' | 'runId'>,
  alarm: Pick<AlarmDefinition, 'AlarmName' | 'severity'>,
  options: AlarmRoutingOptions = {},
): Promise<RoutingCheck> {
  const where = region(context);
  const config = where ? { region: where } : {};
  const cloudwatch = options.cloudwatch ?? new CloudWatchClient(config);
  const name = `${context.env.aws?.alarmPrefix ?? ''}${alarm.AlarmName}`;
  const id = `drill:routing:${alarm.AlarmName}`;
  const title = `${alarm.AlarmName} notifies the ${alarm.severity} topic`;
  const topicName = buildAlertTopicName(context.loaded.suite.service, context.env.name, alarm.severity);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const check = (status: Check['status'], measured: Check['measured'], message: string): Check => ({
    id,
    kind: 'drill',
    name: title,
    status,
    measured,
    threshold: `ALARM message on ${topicName}`,
    ...(typeof measured === 'number' ? { unit: 'ms' } : {}),
    message,
    stage: 'drill',
  });
  const aws = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof EnvironmentError || context.signal.aborted) throw error;
      throw new EnvironmentError(
        'aws-api',
        `routing check of ${name}: ${what} failed: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
  };

  const described = await aws('CloudWatch DescribeAlarms', () =>
    cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
    ),
  );
  const deployed = described.MetricAlarms?.[0] ?? described.CompositeAlarms?.[0];
  if (!deployed) {
    throw new EnvironmentError(
      'aws-api',
      `alarm ${name} is not deployed in ${where ?? 'the default region'}`,
      {
        hint: `deploy the suite's alarms (opsproof infra) or check environments.${context.env.name}.aws.alarmPrefix`,
      },
    );
  }
  const actions = deployed.AlarmActions ?? [];
  if (actions.length === 0) {
    throw new EnvironmentError(
      'aws-api',
      `alarm ${name} has no AlarmActions: nobody is notified when it fires`,
      {
        hint: `route it to the ${alarm.severity} topic ${topicName} (opsproof infra deploys one topic per severity)`,
      },
    );
  }
  const { topicArn, topics } = findTopicAction(actions, topicName);
  if (!topicArn) {
    return {
      atMs: null,
      check: check(
        'failed',
        topics.join(', ') || actions.join(', '),
        `alarm ${name} (severity ${alarm.severity}) notifies ${topics.join(', ') || `no SNS topic (${actions.join(', ')})`}; expected the ${alarm.severity} topic ${topicName}. SetAlarmState was not called, so nobody was paged`,
      ),
    };
  }
  if (deployed.ActionsEnabled === false) {
    return {
      atMs: null,
      topicArn,
      check: check(
        'failed',
        'actions disabled',
        `alarm ${name} routes to ${topicArn}, but its actions are disabled`,
      ),
    };
  }

  const sns = options.sns ?? new SNSClient(config);
  const sqs = options.sqs ?? new SQSClient(config);
  const queueName = `opsproof-drill-${context.runId.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 80);
  const subscriber = await aws(`subscribing queue ${queueName} to ${topicArn}`, () =>
    subscribeTopicQueue(topicArn, { sns, sqs, name: queueName, now: () => context.clock.wall().getTime() }),
  );
  let keep = false;
  try {
    const setAt = context.clock.wall();
    const started = context.clock.now();
    await aws('CloudWatch SetAlarmState ALARM', () =>
      cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: name,
          StateValue: 'ALARM',
          StateReason: `opsproof drill (run ${context.runId}): routing check with SetAlarmState; set back to OK when the check ends`,
        }),
      ),
    );
    const isOurs = (m: TopicAlarmMessage) =>
      m.AlarmName === name && m.NewStateValue === 'ALARM' && (m.TopicArn === null || m.TopicArn === topicArn);
    let historyWorks = true;
    let history: ReturnType<typeof judgeActionHistory>;
    let delivered: TopicAlarmMessage | undefined;
    const deadline = started + timeoutMs;
    while (!delivered && context.clock.now() < deadline && !context.signal.aborted) {
      await aws(`reading queue ${queueName}`, () => subscriber.poll(1));
      delivered = subscriber.messages.find(isOurs);
      if (delivered || !historyWorks) continue;
      try {
        const res = await cloudwatch.send(
          new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: 'Action', StartDate: setAt }),
        );
        history = judgeActionHistory(res.AlarmHistoryItems ?? [], topicArn) ?? history;
        if (history && !history.executed) break;
      } catch {
        // Emulators without DescribeAlarmHistory: the queue alone proves delivery.
        historyWorks = false;
      }
    }
    if (context.signal.aborted) throw context.signal.reason;
    keep = options.keepSubscribed === true;
    if (delivered) {
      const atMs = Math.max(0, Math.round(delivered.receivedAt - setAt.getTime()));
      return {
        atMs,
        topicArn,
        ...(keep ? { subscriber } : {}),
        check: check(
          'passed',
          atMs,
          `SetAlarmState ALARM reached a subscriber of ${topicArn} after ${formatDuration(atMs)}`,
        ),
      };
    }
    return {
      atMs: null,
      topicArn,
      ...(keep ? { subscriber } : {}),
      check: check(
        'failed',
        null,
        history && !history.executed
          ? `CloudWatch could not notify ${topicArn}: ${history.summary}`
          : history?.executed
            ? `CloudWatch executed the action (${history.summary}), but no message reached a subscriber of ${topicArn} within ${formatDuration(timeoutMs)}`
            : `no ALARM message of ${name} reached a subscriber of ${topicArn} within ${formatDuration(timeoutMs)} of SetAlarmState`,
      ),
    };
  } finally {
    // Back to OK whatever happened: the routing check must not leave the alarm firing.
    await cloudwatch
      .send(
        new SetAlarmStateCommand({
          AlarmName: name,
          StateValue: 'OK',
          StateReason: `opsproof drill (run ${context.runId}): routing check done`,
        }),
      )
      .catch(() => {});
    if (!keep) await subscriber.close();
  }
}
