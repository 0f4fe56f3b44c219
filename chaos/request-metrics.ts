/** The gateway's request metrics: API Gateway-shaped batches (`Count`, `4XXError`, `5XXError`, `Latency`) into the telemetry port. */
import type { Clock } from '../core/clock.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { MetricDatum } from '../telemetry/types.ts';

/** Per-flush batch of API Gateway metrics: counts and a latency histogram of rounded values. */
class MetricBatch {
  count = 0;
  errors4xx = 0;
  errors5xx = 0;
  latency = new Map<number, number>();

  /** One request; status 0 is a request that got no HTTP answer (reset, abandoned), a 5XX as API Gateway counts it. */
  record(status: number, latencyMs: number): void {
    this.count++;
    if (status >= 500 || status === 0) this.errors5xx++;
    else if (status >= 400) this.errors4xx++;
    // 0.1 ms resolution keeps the map small and percentiles exact enough.
    const key = Math.round(latencyMs * 10) / 10;
    this.latency.set(key, (this.latency.get(key) ?? 0) + 1);
  }

  toData(dimensions: MetricDatum['Dimensions'], timestamp: Date): MetricDatum[] {
    const rate = (n: number): Pick<MetricDatum, 'Values' | 'Counts'> => {
      const values: number[] = [];
      const counts: number[] = [];
      if (this.count - n > 0) {
        values.push(0);
        counts.push(this.count - n);
      }
      if (n > 0) {
        values.push(1);
        counts.push(n);
      }
      return { Values: values, Counts: counts };
    };
    return [
      {
        MetricName: 'Count',
        Dimensions: dimensions,
        Timestamp: timestamp,
        Values: [1],
        Counts: [this.count],
        Unit: 'Count',
      },
      {
        MetricName: '4XXError',
        Dimensions: dimensions,
        Timestamp: timestamp,
        ...rate(this.errors4xx),
        Unit: 'Count',
      },
      {
        MetricName: '5XXError',
        Dimensions: dimensions,
        Timestamp: timestamp,
        ...rate(this.errors5xx),
        Unit: 'Count',
      },
      {
        MetricName: 'Latency',
        Dimensions: dimensions,
        Timestamp: timestamp,
        Values: [...this.latency.keys()],
        Counts: [...this.latency.values()],
        Unit: 'Milliseconds',
      },
    ];
  }
}

export interface RequestMetrics {
  /** Records one request (status 0: no HTTP answer) and its latency in ms. */
  record(status: number, latencyMs: number): void;
  /** Writes what was recorded since the last flush. */
  flush(): Promise<void>;
  /** Stops the periodic flush (a last `flush()` is the caller's). */
  stop(): void;
}

export interface RequestMetricsOptions {
  /** Where batches go; without one nothing is written. */
  telemetry?: Telemetry;
  /** `ApiName` dimension. */
  apiName: string;
  clock: Clock;
  /** @defaultValue 250 */
  flushIntervalMs?: number;
}

/** Records requests into a batch written to `AWS/ApiGateway` every `flushIntervalMs`. */
export function startRequestMetrics(options: RequestMetricsOptions): RequestMetrics {
  const { telemetry, clock } = options;
  const dimensions = [{ Name: 'ApiName', Value: options.apiName }];
  let batch = new MetricBatch();
  const flush = async (): Promise<void> => {
    if (!telemetry || batch.count === 0) return;
    const full = batch;
    batch = new MetricBatch();
    try {
      await telemetry.putMetricData('AWS/ApiGateway', full.toData(dimensions, clock.wall()));
    } catch {
      // Metrics are best effort: a failing sink must not break the proxy.
    }
  };
  const timer = telemetry ? setInterval(flush, options.flushIntervalMs ?? 250) : undefined;
  timer?.unref();
  return {
    record: (status, latencyMs) => batch.record(status, latencyMs),
    flush,
    stop: () => clearInterval(timer),
  };
}
