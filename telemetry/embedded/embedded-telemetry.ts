import type { Telemetry } from '../port.ts';
import type {
  AlarmStateChange,
  AlarmStateValue,
  LogQuery,
  LogRecord,
  MetricDatum,
  TraceQuery,
  TraceSummary,
} from '../types.ts';
import { MetricStore } from './metric-store.ts';

/**
 * The embedded provider: everything in this process. This first version stores metrics; alarms,
 * the OTLP receiver and log capture plug in here.
 */
export class EmbeddedTelemetry implements Telemetry {
  readonly provider = 'embedded' as const;
  readonly metrics: MetricStore;

  constructor(options: { metrics?: MetricStore } = {}) {
    this.metrics = options.metrics ?? new MetricStore();
  }

  async putMetricData(namespace: string, data: readonly MetricDatum[]): Promise<void> {
    this.metrics.put(namespace, data);
  }

  async getAlarmState(_alarmName: string): Promise<AlarmStateValue | undefined> {
    return undefined;
  }

  async getAlarmHistory(_alarmName: string, _window: { from: Date; to?: Date }): Promise<AlarmStateChange[]> {
    return [];
  }

  async findTraces(_query: TraceQuery): Promise<TraceSummary[]> {
    return [];
  }

  async findLogs(_query: LogQuery): Promise<LogRecord[]> {
    return [];
  }

  async close(): Promise<void> {}
}
