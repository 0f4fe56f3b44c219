/**
 * List prices the cost estimate assumes: AWS public pricing pages, region us-east-1, looked up on
 * 2026-11-22 (aws.amazon.com/cloudwatch/pricing, /fis/pricing, /sns/pricing, /lambda/pricing,
 * /s3/pricing, /kms/pricing). Free tiers are ignored (they are per account, not per environment).
 * Other regions can differ by a few percent; FIS is $0.10 per action-minute in every commercial region.
 */
export interface PriceTable {
  region: string;
  asOf: string;
  /** CloudWatch Synthetics, per canary run. */
  canaryRun: number;
  /** CloudWatch alarm, per standard-resolution alarm metric per month (period ≥ 60 s). */
  standardAlarmMetric: number;
  /** CloudWatch alarm, per high-resolution alarm metric per month (period 10/30 s). */
  highResolutionAlarmMetric: number;
  /** CloudWatch composite alarm, per alarm per month. */
  compositeAlarm: number;
  /** CloudWatch dashboard, per dashboard per month. */
  dashboard: number;
  /** AWS FIS, per action-minute. */
  fisActionMinute: number;
  /** SNS standard topic, per million publishes. */
  snsPublishPerMillion: number;
  /** SNS email delivery, per 100 000 notifications. */
  snsEmailPer100k: number;
  /** SNS HTTP/S delivery, per million notifications. */
  snsHttpsPerMillion: number;
  /** KMS customer-managed key, per month. */
  kmsKeyMonth: number;
  /** Lambda (x86), per GB-second: the compute of each canary run. */
  lambdaGbSecond: number;
  /** S3 Standard storage, per GB-month. */
  s3GbMonth: number;
  /** S3 PUT requests, per 1 000. */
  s3PutPer1000: number;
}

export const PRICES_US_EAST_1: PriceTable = {
  region: 'us-east-1',
  asOf: '2026-11-22',
  canaryRun: 0.0012,
  standardAlarmMetric: 0.1,
  highResolutionAlarmMetric: 0.3,
  compositeAlarm: 0.5,
  dashboard: 3,
  fisActionMinute: 0.1,
  snsPublishPerMillion: 0.5,
  snsEmailPer100k: 2,
  snsHttpsPerMillion: 0.6,
  kmsKeyMonth: 1,
  lambdaGbSecond: 0.0000166667,
  s3GbMonth: 0.023,
  s3PutPer1000: 0.005,
};
