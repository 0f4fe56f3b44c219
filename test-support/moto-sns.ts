import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { subscribeTopicQueue } from '../runner/subscribe-topic-queue.ts';

export interface SubscribedQueue {
  sns: SNSClient;
  sqs: SQSClient;
  topicArn: string;
  queueUrl: string;
}

/**
 * Creates SNS topic `topic` on the moto server at `endpoint` (eu-west-1, the `testing` credentials)
 * and subscribes queue `queue` to it the way a drill does (`subscribeTopicQueue`), raw message
 * delivery off: what the topic receives arrives in the queue as the SNS envelope with the message
 * inside.
 */
export async function subscribeQueueToTopic(
  endpoint: string,
  names: { topic: string; queue: string },
): Promise<SubscribedQueue> {
  const config = {
    region: 'eu-west-1',
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: names.topic }));
  if (!TopicArn) throw new Error(`moto created no topic ${names.topic}`);
  const { queueUrl } = await subscribeTopicQueue(TopicArn, { sns, sqs, name: names.queue });
  return { sns, sqs, topicArn: TopicArn, queueUrl };
}
