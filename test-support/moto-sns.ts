import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface SubscribedQueue {
  sns: SNSClient;
  sqs: SQSClient;
  topicArn: string;
  queueUrl: string;
}

/**
 * Creates SNS topic `topic` and SQS queue `queue` on the moto server at `endpoint` (eu-west-1, the
 * `testing` credentials) and subscribes the queue to the topic, raw message delivery off: what the
 * topic receives arrives in the queue as the SNS envelope with the message inside.
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
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: names.queue }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
  if (!TopicArn || !QueueUrl) throw new Error(`moto created no topic ${names.topic} or queue ${names.queue}`);
  return { sns, sqs, topicArn: TopicArn, queueUrl: QueueUrl };
}
