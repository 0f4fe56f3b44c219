import type { AlarmDefinition, MetricDataQuery } from '../core/schema.ts';
import type { AlarmStateValue } from '../core/statuses.ts';

/**
 * Telemetry data in CloudWatch's own shapes, so the embedded and aws providers speak alike and alarm
 * definitions copy over unchanged. What the config schema already defines is derived from it.
 */

export type { AlarmStateValue };
export type ComparisonOperator = AlarmDefinition['ComparisonOperator'];
export type TreatMissingData = AlarmDefinition['TreatMissingData'];
export type Statistic = NonNullable<AlarmDefinition['Statistic']>;
export type Dimension = NonNullable<AlarmDefinition['Dimensions']>[number];

/** A span attribute, X-Ray annotation or log field value a query matches. */
export type AttributeValue = string | number | boolean;

/** One datum as PutMetricData takes it. */
export interface MetricDatum {
  MetricName: string;
  Dimensions?: Dimension[];
  /** Defaults to now. */
  Timestamp?: Date;
  Value?: number;
  /** Distinct values with their counts (CloudWatch's Values/Counts arrays). */
  Values?: number[];
  Counts?: number[];
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  Unit?: string;
  /** 1 for high resolution, 60 (default) for standard. */
  StorageResolution?: 1 | 60;
}

/** A metric's identity: namespace, name and dimensions (order-insensitive), as a `MetricStat` names it. */
export type MetricId = NonNullable<MetricDataQuery['MetricStat']>['Metric'];

export interface AlarmStateChange {
  alarmName: string;
  timestamp: Date;
  oldState: AlarmStateValue;
  newState: AlarmStateValue;
  /** CloudWatch-style reason, e.g. "Threshold Crossed: 2 out of the last 3 datapoints …". */
  reason: string;
}

export interface TraceQuery {
  /** Span attributes (embedded) or X-Ray annotations (aws) that must all match. */
  attributes?: Record<string, AttributeValue>;
  from: Date;
  to?: Date;
  limit?: number;
}

export interface TraceSummary {
  traceId: string;
  startTime: Date;
  durationMs: number;
  /** When the provider first saw (received) the trace, for lag measurement. */
  receivedAt: Date;
  service?: string;
  rootName?: string;
  attributes: Record<string, AttributeValue>;
  spanCount: number;
}

export interface LogQuery {
  /** Fields of a JSON log line that must all equal these values. */
  fields?: Record<string, AttributeValue>;
  /** Substring the raw line must contain. */
  contains?: string;
  from: Date;
  to?: Date;
  limit?: number;
}

export interface LogRecord {
  timestamp: Date;
  /** When the provider captured it, for lag measurement. */
  receivedAt: Date;
  source: string;
  fields: Record<string, unknown>;
  raw: string;
}

export interface MetricStatisticsQuery {
  id: MetricId;
  /** `Average`, `Sum`, … or a percentile `p99`. */
  statistic: Statistic | `p${string}`;
  periodSeconds: number;
  from: Date;
  to: Date;
}

export interface MetricStatisticsDatapoint {
  /** Start of the period. */
  timestamp: Date;
  value: number;
  sampleCount: number;
  /** For a composite alarm's datapoints: the (metric or math) alarm that evaluated this one. */
  alarm?: string;
}
