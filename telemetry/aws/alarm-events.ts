import { type EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { isAlarmState } from '../../core/statuses.ts';
import type { AlarmStateChange } from '../types.ts';
import { withAwsRetries } from './with-aws-retries.ts';

/** The EventBridge event CloudWatch sends on every alarm state change (the fields we read). */
export interface AlarmStateChangeEvent {
  'detail-type'?: string;
  source?: string;
  time?: string;
  detail?: {
    alarmName?: string;
    state?: { value?: string; reason?: string; timestamp?: string };
    previousState?: { value?: string; reason?: string; timestamp?: string };
  };
}

/** A "CloudWatch Alarm State Change" event as a state change; `undefined` for anything else. Pure. */
export function parseAlarmStateChangeEvent(body: string): AlarmStateChange | undefined {
  let event: AlarmStateChangeEvent;
  try {
    event = JSON.parse(body) as AlarmStateChangeEvent;
  } catch {
    return undefined;
  }
  if (event['detail-type'] !== 'CloudWatch Alarm State Change') return undefined;
  const d = event.detail;
  const to = d?.state?.value;
  const from = d?.previousState?.value ?? 'INSUFFICIENT_DATA';
  if (!d?.alarmName || !isAlarmState(to) || !isAlarmState(from)) return undefined;
  return {
    alarmName: d.alarmName,
    timestamp: new Date(d.state?.timestamp ?? event.time ?? Date.now()),
    oldState: from,
    newState: to,
    reason: d.state?.reason ?? '',
  };
}

/**
 * Creates (idempotently) the push path for a suite: an SQS queue, an EventBridge rule matching
 * "CloudWatch Alarm State Change" for the suite's alarms (by name prefix), the queue as the rule's
 * target and the queue policy letting EventBridge send to it. Returns the queue URL for
 * `environments.X.aws.alarmEventsQueueUrl`.
 */
export async function createAlarmEventsQueue(
  clients: { sqs: SQSClient; events: EventBridgeClient },
  options: { suite: string; alarmPrefix?: string },
): Promise<{ queueUrl: string; queueArn: string; ruleArn: string }> {
  const name = `opsproof-${options.suite}-alarm-events`;
  const { QueueUrl } = await withAwsRetries('SQS CreateQueue', () =>
    clients.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { MessageRetentionPeriod: '3600' } }),
    ),
  );
  const queueUrl = QueueUrl!;
  const attrs = await withAwsRetries('SQS GetQueueAttributes', () =>
    clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })),
  );
  const queueArn = attrs.Attributes?.QueueArn ?? '';
  const pattern = {
    source: ['aws.cloudwatch'],
    'detail-type': ['CloudWatch Alarm State Change'],
    ...(options.alarmPrefix ? { detail: { alarmName: [{ prefix: options.alarmPrefix }] } } : {}),
  };
  const { RuleArn } = await withAwsRetries('EventBridge PutRule', () =>
    clients.events.send(
      new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern), State: 'ENABLED' }),
    ),
  );
  await withAwsRetries('EventBridge PutTargets', () =>
    clients.events.send(
      new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'opsproof-queue', Arn: queueArn }] }),
    ),
  );
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowEventBridgeAlarmEvents',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': RuleArn } },
      },
    ],
  };
  await withAwsRetries('SQS SetQueueAttributes', () =>
    clients.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: JSON.stringify(policy) } }),
    ),
  );
  return { queueUrl, queueArn, ruleArn: RuleArn ?? '' };
}

/**
 * Reads alarm state changes from the queue by long polling until stopped; each change goes to
 * `onChange`, and messages are deleted once read.
 */
export function startAlarmEventsReader(
  sqs: SQSClient,
  queueUrl: string,
  onChange: (change: AlarmStateChange) => void,
  options: { waitTimeSeconds?: number; onError?: (error: unknown) => void } = {},
): () => void {
  const controller = new AbortController();
  const loop = async () => {
    while (!controller.signal.aborted) {
      try {
        const res = await withAwsRetries(
          'SQS ReceiveMessage',
          () =>
            sqs.send(
              new ReceiveMessageCommand({
                QueueUrl: queueUrl,
                MaxNumberOfMessages: 10,
                WaitTimeSeconds: options.waitTimeSeconds ?? 20,
              }),
              { abortSignal: controller.signal },
            ),
          { signal: controller.signal },
        );
        const messages = res.Messages ?? [];
        for (const message of messages) {
          const change = parseAlarmStateChangeEvent(message.Body ?? '');
          if (change) onChange(change);
        }
        if (messages.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
            }),
          );
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        options.onError?.(error);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  void loop();
  return () => controller.abort();
}
