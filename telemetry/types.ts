/**
 * Telemetry data in CloudWatch's own shapes, so the embedded and aws providers speak alike and alarm
 * definitions copy over unchanged.
 */

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type ComparisonOperator =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';
export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';
export type Statistic = 'SampleCount' | 'Average' | 'Sum' | 'Minimum' | 'Maximum';

export interface Dimension {
  Name: string;
  Value: string;
}

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

/** A metric's identity: namespace, name and dimensions (order-insensitive). */
export interface MetricId {
  Namespace: string;
  MetricName: string;
  Dimensions?: Dimension[];
}

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
  attributes?: Record<string, string | number | boolean>;
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
  attributes: Record<string, string | number | boolean>;
  spanCount: number;
}

export interface LogQuery {
  /** Fields of a JSON log line that must all equal these values. */
  fields?: Record<string, string | number | boolean>;
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
