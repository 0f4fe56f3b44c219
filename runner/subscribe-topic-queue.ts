import { type SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** The fields of the CloudWatch alarm message (an SNS notification's `Message`) a drill reads. */
export interface TopicAlarmMessage {
  AlarmName: string;
  NewStateValue: string;
  OldStateValue: string;
  NewStateReason: string;
  StateChangeTime: string;
  /** The topic the message was published to (from the SNS envelope). */
  TopicArn: string | null;
  /** Wall clock epoch ms when the message reached the queue (SQS `SentTimestamp`), else when read. */
  receivedAt: number;
}

/**
 * A CloudWatch alarm message from an SQS message body: the SNS envelope (`Type: Notification`,
 * `Message` = the alarm JSON) or a raw-delivered alarm JSON. `undefined` for anything else. Pure.
 */
export function parseTopicAlarmMessage(body: string, receivedAt: number): TopicAlarmMessage | undefined {
  try {
    const outer = JSON.parse(body) as Record<string, unknown>;
    const isEnvelope = outer.Type === 'Notification' && typeof outer.Message === 'string';
    const inner = (isEnvelope ? JSON.parse(outer.Message as string) : outer) as Record<string, unknown>;
    if (typeof inner.AlarmName !== 'string' || typeof inner.NewStateValue !== 'string') return undefined;
    return {
      AlarmName: inner.AlarmName,
      NewStateValue: inner.NewStateValue,
      OldStateValue: String(inner.OldStateValue ?? ''),
      NewStateReason: String(inner.NewStateReason ?? ''),
      StateChangeTime: String(inner.StateChangeTime ?? ''),
      TopicArn: isEnvelope && typeof outer.TopicArn === 'string' ? outer.TopicArn : null,
      receivedAt,
    };
  } catch {
    return undefined;
  }
}

export interface TopicQueue {
  queueUrl: string;
  subscriptionArn: string;
  /** Every alarm message read so far, in order. */
  readonly messages: readonly TopicAlarmMessage[];
  /** Reads the queue once (long poll up to `waitSeconds`), keeps and returns the new alarm messages. */
  poll(waitSeconds?: number): Promise<TopicAlarmMessage[]>;
  /** Unsubscribes and deletes the queue. Never throws. */
  close(): Promise<void>;
}

/**
 * The receiving end of an alert topic for a drill: a temporary SQS queue (policy: only this topic may
 * send) subscribed to the topic, so what CloudWatch publishes there is read back like a pager would
 * get it. `close()` removes both.
 */
export async function subscribeTopicQueue(
  topicArn: string,
  options: { sns: SNSClient; sqs: SQSClient; name: string; now?: () => number },
): Promise<TopicQueue> {
  const { sns, sqs } = options;
  const now = options.now ?? Date.now;
  const region = topicArn.split(':')[3] ?? '';
  const account = topicArn.split(':')[4] ?? '';
  const partition = topicArn.split(':')[1] ?? 'aws';
  const queueArn = `arn:${partition}:sqs:${region}:${account}:${options.name}`;
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: options.name,
      Attributes: {
        MessageRetentionPeriod: '600',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AlertTopicOnly',
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: queueArn,
              Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
            },
          ],
        }),
      },
    }),
  );
  const queueUrl = created.QueueUrl!;
  let subscriptionArn = '';
  try {
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const subscribed = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: attributes.Attributes?.QueueArn ?? queueArn,
        ReturnSubscriptionArn: true,
      }),
    );
    subscriptionArn = subscribed.SubscriptionArn ?? '';
  } catch (error) {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
    throw error;
  }
  const messages: TopicAlarmMessage[] = [];
  return {
    queueUrl,
    subscriptionArn,
    messages,
    async poll(waitSeconds = 1) {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      const received = res.Messages ?? [];
      const fresh: TopicAlarmMessage[] = [];
      for (const m of received) {
        const sent = Number(m.Attributes?.SentTimestamp);
        const parsed = parseTopicAlarmMessage(m.Body ?? '', Number.isFinite(sent) && sent > 0 ? sent : now());
        if (parsed) fresh.push(parsed);
      }
      if (received.length > 0) {
        await sqs
          .send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: received.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          )
          .catch(() => {});
      }
      messages.push(...fresh);
      return fresh;
    },
    async close() {
      if (subscriptionArn && subscriptionArn !== 'pending confirmation') {
        await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn })).catch(() => {});
      }
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
    },
  };
}
