import type { MetricDatum, MetricId } from '../types.ts';

/** One stored sample: a value (with its count) at a time. */
export interface StoredSample {
  timestamp: number;
  value: number;
  count: number;
  unit?: string;
}

/** A statistic set as PutMetricData's `StatisticValues`, kept whole (its values are unknown). */
export interface StoredStatisticSet {
  timestamp: number;
  sampleCount: number;
  sum: number;
  minimum: number;
  maximum: number;
  unit?: string;
}

export interface StoredSeries {
  id: MetricId;
  samples: StoredSample[];
  statisticSets: StoredStatisticSet[];
}

/** A stable key for a metric: namespace, name and dimensions sorted by name. */
export function metricKey(id: MetricId): string {
  const dims = [...(id.Dimensions ?? [])].sort((a, b) => a.Name.localeCompare(b.Name));
  return `${id.Namespace}|${id.MetricName}|${dims.map((d) => `${d.Name}=${d.Value}`).join(',')}`;
}

/**
 * An in-memory metric store in CloudWatch's datum shape. Bounded: beyond `maxSamplesPerSeries` the
 * oldest samples are evicted and counted in `evicted`.
 */
export class MetricStore {
  readonly #series = new Map<string, StoredSeries>();
  readonly #maxSamples: number;
  #evicted = 0;

  constructor(options: { maxSamplesPerSeries?: number } = {}) {
    this.#maxSamples = options.maxSamplesPerSeries ?? 500_000;
  }

  get evicted(): number {
    return this.#evicted;
  }

  put(namespace: string, data: readonly MetricDatum[], now: number = Date.now()): void {
    for (const datum of data) {
      const id: MetricId = {
        Namespace: namespace,
        MetricName: datum.MetricName,
        Dimensions: datum.Dimensions ?? [],
      };
      const key = metricKey(id);
      let series = this.#series.get(key);
      if (!series) {
        series = { id, samples: [], statisticSets: [] };
        this.#series.set(key, series);
      }
      const timestamp = datum.Timestamp?.getTime() ?? now;
      if (datum.Value !== undefined)
        series.samples.push({ timestamp, value: datum.Value, count: 1, unit: datum.Unit });
      if (datum.Values) {
        datum.Values.forEach((value, i) => {
          series.samples.push({ timestamp, value, count: datum.Counts?.[i] ?? 1, unit: datum.Unit });
        });
      }
      if (datum.StatisticValues) {
        const s = datum.StatisticValues;
        series.statisticSets.push({
          timestamp,
          sampleCount: s.SampleCount,
          sum: s.Sum,
          minimum: s.Minimum,
          maximum: s.Maximum,
          unit: datum.Unit,
        });
      }
      const overflow = series.samples.length - this.#maxSamples;
      if (overflow > 0) {
        series.samples.splice(0, overflow);
        this.#evicted += overflow;
      }
    }
  }

  /** The series with exactly this identity (dimension order does not matter). */
  get(id: MetricId): StoredSeries | undefined {
    return this.#series.get(metricKey(id));
  }

  /** Every series, optionally filtered by namespace and metric name. */
  list(filter: { Namespace?: string; MetricName?: string } = {}): StoredSeries[] {
    return [...this.#series.values()].filter(
      (s) =>
        (filter.Namespace === undefined || s.id.Namespace === filter.Namespace) &&
        (filter.MetricName === undefined || s.id.MetricName === filter.MetricName),
    );
  }
}
