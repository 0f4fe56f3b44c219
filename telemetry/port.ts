import type {
  AlarmStateChange,
  AlarmStateValue,
  LogQuery,
  LogRecord,
  MetricDatum,
  MetricStatisticsDatapoint,
  MetricStatisticsQuery,
  TraceQuery,
  TraceSummary,
} from './types.ts';

/**
 * The Telemetry port: everything engines write and expectations read. Providers: `embedded`
 * (in-process metric store, alarm evaluator, OTLP receiver, log capture) and `aws` (CloudWatch,
 * X-Ray, Logs). Reads take wall-clock windows; providers own polling and retries.
 */
export interface Telemetry {
  readonly provider: 'embedded' | 'aws';
  /** Writes data points, as CloudWatch PutMetricData. */
  putMetricData(namespace: string, data: readonly MetricDatum[]): Promise<void>;
  /** The current state of an alarm, or `undefined` when no such alarm exists. */
  getAlarmState(alarmName: string): Promise<AlarmStateValue | undefined>;
  /** State changes of an alarm in a window, oldest first. */
  getAlarmHistory(alarmName: string, window: { from: Date; to?: Date }): Promise<AlarmStateChange[]>;
  findTraces(query: TraceQuery): Promise<TraceSummary[]>;
  findLogs(query: LogQuery): Promise<LogRecord[]>;
  /** Names of the alarms the provider knows (for "unknown alarm" messages). */
  listAlarmNames?(): Promise<string[]>;
  /** One statistic per period over a window, as CloudWatch GetMetricStatistics. */
  getMetricStatistics?(query: MetricStatisticsQuery): Promise<MetricStatisticsDatapoint[]>;
  /**
   * The datapoints an alarm evaluates (its metric, statistic and period; for metric math, the
   * expression returned) whose periods overlap a wall-clock window, oldest first; `undefined` for an
   * unknown alarm. Alarm checks record them as evidence.
   */
  getAlarmDatapoints?(
    alarmName: string,
    window: { from: Date; to: Date },
  ): Promise<MetricStatisticsDatapoint[] | undefined>;
  /** Subscribes to alarm state changes as they happen, where the provider can push them. */
  onAlarmStateChange?(listener: (change: AlarmStateChange) => void): () => void;
  close(): Promise<void>;
}
