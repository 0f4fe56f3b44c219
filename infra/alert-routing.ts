import {
  aws_iam as iam,
  aws_kms as kms,
  RemovalPolicy,
  aws_sns as sns,
  aws_sns_subscriptions as subs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Environment } from '../core/schema.ts';
import type { Severity } from './monitoring-profile.ts';

export interface AlertRoutingProps {
  /** Topic name prefix, e.g. `opsproof-demo-staging`. */
  namePrefix: string;
  notifications?: NonNullable<Environment['aws']>['notifications'];
}

/**
 * One SNS topic per severity, encrypted with a customer-managed key that CloudWatch may use (topics
 * under the AWS-managed SNS key cannot receive alarm notifications), TLS enforced; email
 * subscriptions and HTTPS subscriptions (Slack / PagerDuty webhooks) from `aws.notifications`.
 */
export class AlertRouting extends Construct {
  readonly topics: Record<Severity, sns.Topic>;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlertRoutingProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'TopicKey', {
      description: `${props.namePrefix}: encrypts the alert topics`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    const topic = (severity: Severity): sns.Topic => {
      const t = new sns.Topic(this, `${capitalize(severity)}Topic`, {
        topicName: `${props.namePrefix}-${severity}`,
        displayName: `${props.namePrefix} ${severity} alerts`,
        masterKey: this.key,
        enforceSSL: true,
      });
      const route = props.notifications?.[severity];
      for (const email of route?.emails ?? []) t.addSubscription(new subs.EmailSubscription(email));
      for (const url of route?.urls ?? []) {
        if (!url.startsWith('https://'))
          throw new Error(`notifications.${severity}: ${url} is not an https URL`);
        t.addSubscription(new subs.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));
      }
      return t;
    };
    this.topics = { critical: topic('critical'), warning: topic('warning'), info: topic('info') };
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
