import type { AlarmPolicy, MonitoringProfile } from './monitoring-profile.ts';

/** One CloudWatch metric, named the way CloudWatch names it. */
export interface MetricSpec {
  kind: 'metric';
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** `Sum`, `Average`, `Maximum`, … or a percentile such as `p99`. */
  statistic: string;
}

/** numerator / denominator, 0 when the denominator is 0 (no traffic is no error). */
export interface RatioSpec {
  kind: 'ratio';
  numerator: MetricSpec;
  denominator: MetricSpec;
  label: string;
}

/** What an alarm watches: the signal decides the alarm factory's missing-data default. */
export type Signal = 'errors' | 'latency' | 'throttles' | 'queue-depth' | 'canary';

/** A service alarm before it becomes a construct: pure data, counted by the cost estimate too. */
export interface AlarmSpec {
  /** Construct id and alarm-name suffix, e.g. `Lambda-orders-ErrorRate`. */
  id: string;
  description: string;
  signal: Signal;
  metric: MetricSpec | RatioSpec;
  policy: AlarmPolicy;
  comparison: 'GreaterThanThreshold' | 'LessThanThreshold';
}

export interface ServiceResources {
  lambdaFunctions?: string[];
  apiGateways?: string[];
  dlqNames?: string[];
}

const pct = (fraction: number): string => `${Math.round(fraction * 10000) / 100} %`;

/** The alarms of the operations docs for every resource named in `aws.resources`. */
export function buildServiceAlarmSpecs(resources: ServiceResources, profile: MonitoringProfile): AlarmSpec[] {
  const specs: AlarmSpec[] = [];
  for (const fn of resources.lambdaFunctions ?? []) {
    const lambda = (metricName: string, statistic: string): MetricSpec => ({
      kind: 'metric',
      namespace: 'AWS/Lambda',
      metricName,
      dimensions: { FunctionName: fn },
      statistic,
    });
    specs.push(
      {
        id: `Lambda-${fn}-ErrorRate`,
        description: `Lambda ${fn}: more than ${pct(profile.lambdaErrorRate.threshold)} of invocations fail.`,
        signal: 'errors',
        metric: {
          kind: 'ratio',
          numerator: lambda('Errors', 'Sum'),
          denominator: lambda('Invocations', 'Sum'),
          label: `${fn} error rate`,
        },
        policy: profile.lambdaErrorRate,
        comparison: 'GreaterThanThreshold',
      },
      {
        id: `Lambda-${fn}-DurationP99`,
        description: `Lambda ${fn}: p99 duration above ${profile.lambdaP99Ms.threshold} ms.`,
        signal: 'latency',
        metric: lambda('Duration', 'p99'),
        policy: profile.lambdaP99Ms,
        comparison: 'GreaterThanThreshold',
      },
      {
        id: `Lambda-${fn}-Throttles`,
        description: `Lambda ${fn}: more than ${profile.lambdaThrottles.threshold} throttled invocations per period (concurrency limit reached).`,
        signal: 'throttles',
        metric: lambda('Throttles', 'Sum'),
        policy: profile.lambdaThrottles,
        comparison: 'GreaterThanThreshold',
      },
    );
  }
  for (const api of resources.apiGateways ?? []) {
    const gateway = (metricName: string, statistic: string): MetricSpec => ({
      kind: 'metric',
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensions: { ApiName: api },
      statistic,
    });
    specs.push(
      {
        id: `Api-${api}-5xxRate`,
        description: `API ${api}: more than ${pct(profile.apiErrorRate.threshold)} of requests answer 5XX.`,
        signal: 'errors',
        metric: gateway('5XXError', 'Average'),
        policy: profile.apiErrorRate,
        comparison: 'GreaterThanThreshold',
      },
      {
        id: `Api-${api}-LatencyP99`,
        description: `API ${api}: p99 latency above ${profile.apiP99Ms.threshold} ms.`,
        signal: 'latency',
        metric: gateway('Latency', 'p99'),
        policy: profile.apiP99Ms,
        comparison: 'GreaterThanThreshold',
      },
    );
  }
  for (const queue of resources.dlqNames ?? []) {
    specs.push({
      id: `Dlq-${queue}-Depth`,
      description: `Dead-letter queue ${queue} holds more than ${profile.dlqDepth.threshold} messages: process or redrive them.`,
      signal: 'queue-depth',
      metric: {
        kind: 'metric',
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: queue },
        statistic: 'Maximum',
      },
      policy: profile.dlqDepth,
      comparison: 'GreaterThanThreshold',
    });
  }
  return specs;
}

/** The SuccessPercent alarm of one deployed canary. */
export function buildCanaryAlarmSpec(deployedName: string, profile: MonitoringProfile): AlarmSpec {
  return {
    id: `Canary-${deployedName}-Success`,
    description: `Canary ${deployedName}: SuccessPercent below ${profile.canarySuccess.threshold} %.`,
    signal: 'canary',
    metric: {
      kind: 'metric',
      namespace: 'CloudWatchSynthetics',
      metricName: 'SuccessPercent',
      dimensions: { CanaryName: deployedName },
      statistic: 'Average',
    },
    policy: profile.canarySuccess,
    comparison: 'LessThanThreshold',
  };
}
