import * as hdr from 'hdr-histogram-js';
import type { RecordOf, TimelineRecord } from '../core/events.ts';
import type { CheckStatus, RunResult } from '../core/run-result.ts';

/** A point on a time chart: `x` is seconds since the run started, `y` null breaks the line. */
export interface TimePoint {
  x: number;
  y: number | null;
}

export interface FaultWindow {
  faultId: string;
  label: string;
  /** Seconds since the run started. */
  start: number;
  /** Seconds since the run started; the end of the run when the fault never ended. */
  end: number;
  ended: boolean;
}

export interface AlarmMark {
  /** Seconds since the run started. */
  x: number;
  alarm: string;
  from: string;
  to: string;
}

export interface HistogramBucket {
  /** Lower and upper bound in ms. */
  fromMs: number;
  toMs: number;
  count: number;
}

export interface LatencyDistribution {
  /** `hdr`: real counts from the run's HDR histogram; `percentiles`: only the summary was there. */
  source: 'hdr' | 'percentiles';
  buckets: HistogramBucket[];
  percentiles: { label: string; ms: number }[];
}

export interface ExpectationBar {
  name: string;
  status: CheckStatus;
  measuredMs: number | null;
  deadlineMs: number | null;
}

/** Everything the HTML report's charts draw, computed up front so the browser only draws. */
export interface ChartData {
  /** Seconds since the run started of its last event. */
  runSeconds: number;
  /** Where the time charts' axis ends: just after the last load second, fault or alarm transition. */
  timeEnd: number;
  latency: { p50: TimePoint[]; p99: TimePoint[] };
  throughput: { rps: TimePoint[]; errors: TimePoint[] };
  faults: FaultWindow[];
  alarms: AlarmMark[];
  distribution: LatencyDistribution | null;
  expectations: ExpectationBar[];
  drill: { label: string; ms: number }[];
  drillObjectiveMs: number | null;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
const seconds = (ms: number) => round(ms / 1000);
/** A gap between two ticks longer than this breaks the line (separate load runs). */
const GAP_SECONDS = 2.5;

function ofType<T extends TimelineRecord['type']>(
  timeline: readonly TimelineRecord[],
  type: T,
): RecordOf<T>[] {
  return timeline.filter((r): r is RecordOf<T> => r.type === type);
}

/**
 * One point per load second on the run's clock: `load.tick` events when the timeline has them,
 * else `load.series` placed at its `load.start` (e.g. an engine that reports only at the end).
 */
function buildLoadPoints(
  result: RunResult,
): { x: number; rps: number; errors: number; p50: number; p99: number }[] {
  const ticks = ofType(result.timeline, 'load.tick');
  if (ticks.length > 0) {
    return ticks
      .map((t) => ({ x: seconds(t.t), rps: t.rps, errors: t.errors, p50: t.p50, p99: t.p99 }))
      .sort((a, b) => a.x - b.x);
  }
  const series = result.load?.series ?? [];
  const start = ofType(result.timeline, 'load.start').find((s) => s.profile === result.load?.profile);
  const offset = start ? seconds(start.t) : 0;
  return series.map((s) => ({
    x: round(offset + s.t),
    rps: s.rps,
    errors: s.errors,
    p50: s.p50,
    p99: s.p99,
  }));
}

function withGaps(points: { x: number; y: number }[]): TimePoint[] {
  const out: TimePoint[] = [];
  for (const [index, point] of points.entries()) {
    const previous = points[index - 1];
    if (previous && point.x - previous.x > GAP_SECONDS)
      out.push({ x: round((previous.x + point.x) / 2), y: null });
    out.push(point);
  }
  return out;
}

function buildFaultWindows(timeline: readonly TimelineRecord[], runSeconds: number): FaultWindow[] {
  const ends = ofType(timeline, 'fault.end');
  return ofType(timeline, 'fault.start').map((start) => {
    const end = ends.find((e) => e.faultId === start.faultId && e.t >= start.t);
    return {
      faultId: start.faultId,
      label: start.experiment ? `${start.experiment}: ${start.spec}` : start.spec,
      start: seconds(start.t),
      end: end ? seconds(end.t) : runSeconds,
      ended: end !== undefined,
    };
  });
}

/** Log-spaced buckets between the smallest and largest recorded latency. */
function logBuckets(values: { ms: number; count: number }[], count = 24): HistogramBucket[] {
  const recorded = values.filter((v) => v.count > 0);
  if (recorded.length === 0) return [];
  const min = Math.max(0.001, Math.min(...recorded.map((v) => v.ms)));
  const max = Math.max(...recorded.map((v) => v.ms));
  const ratio = max > min ? (max / min) ** (1 / count) : 2;
  const buckets: HistogramBucket[] = Array.from({ length: count }, (_, i) => ({
    fromMs: round(min * ratio ** i),
    toMs: round(min * ratio ** (i + 1)),
    count: 0,
  }));
  for (const value of recorded) {
    const index = max > min ? Math.floor(Math.log(value.ms / min) / Math.log(ratio)) : 0;
    const bucket = buckets[Math.min(count - 1, Math.max(0, index))];
    if (bucket) bucket.count += value.count;
  }
  return buckets;
}

/** Decodes the run's HDR histogram (pure JS build: no WebAssembly state to set up) into buckets. */
function decodeHistogramBuckets(base64: string): HistogramBucket[] | undefined {
  let histogram: hdr.Histogram | undefined;
  try {
    histogram = hdr.decodeFromCompressedBase64(base64, 32, false);
    if (!(histogram instanceof hdr.JsHistogram)) return undefined;
    const iterator = histogram.recordedValuesIterator;
    iterator.reset();
    const values: { ms: number; count: number }[] = [];
    while (iterator.hasNext()) {
      const value = iterator.next();
      values.push({ ms: value.valueIteratedTo / 1000, count: value.countAtValueIteratedTo });
    }
    return logBuckets(values);
  } catch {
    // A damaged histogram only costs the chart its real counts; the percentiles are still drawn.
    return undefined;
  } finally {
    histogram?.destroy();
  }
}

function buildDistribution(result: RunResult): LatencyDistribution | null {
  const load = result.load;
  if (!load || load.requests === 0) return null;
  const l = load.latencyMs;
  const percentiles = [
    { label: 'min', ms: l.min },
    { label: 'p50', ms: l.p50 },
    { label: 'p90', ms: l.p90 },
    { label: 'p95', ms: l.p95 },
    { label: 'p99', ms: l.p99 },
    { label: 'p99.9', ms: l.p999 },
    { label: 'max', ms: l.max },
  ];
  const buckets = load.histogram ? decodeHistogramBuckets(load.histogram) : undefined;
  return buckets
    ? { source: 'hdr', buckets, percentiles }
    : { source: 'percentiles', buckets: [], percentiles };
}

/** The data behind every chart of the HTML report. Pure. */
export function buildChartData(result: RunResult): ChartData {
  const lastT = result.timeline.reduce((max, r) => Math.max(max, r.t), 0);
  const runSeconds = seconds(Math.max(lastT, result.durationMs));
  const points = buildLoadPoints(result);
  const series = (pick: (p: (typeof points)[number]) => number) =>
    withGaps(points.map((p) => ({ x: p.x, y: pick(p) })));
  const drill = result.drill;
  const milestones: [string, number | null | undefined][] = drill
    ? [
        ['detect', drill.timeToDetectMs],
        ['alarm', drill.timeToAlarmMs],
        ['mitigate', drill.timeToMitigateMs],
        ['recover', drill.timeToRecoverMs],
      ]
    : [];
  const faults = buildFaultWindows(result.timeline, runSeconds);
  const alarms = ofType(result.timeline, 'alarm.state').map((a) => ({
    x: seconds(a.t),
    alarm: a.alarm,
    from: a.from,
    to: a.to,
  }));
  const lastMark = Math.max(
    0,
    ...points.map((p) => p.x),
    ...faults.map((f) => f.end),
    ...alarms.map((a) => a.x),
  );
  return {
    runSeconds,
    timeEnd: Math.min(runSeconds, Math.ceil(lastMark + 2)),
    latency: { p50: series((p) => p.p50), p99: series((p) => p.p99) },
    throughput: { rps: series((p) => p.rps), errors: series((p) => p.errors) },
    faults,
    alarms,
    distribution: buildDistribution(result),
    expectations: (result.expectations ?? []).map((e) => ({
      name: e.experiment && !e.name.startsWith(`${e.experiment}:`) ? `${e.experiment}: ${e.name}` : e.name,
      status: e.status,
      measuredMs: e.measuredMs,
      deadlineMs: e.deadlineMs,
    })),
    drill: milestones.flatMap(([label, ms]) => (typeof ms === 'number' ? [{ label, ms }] : [])),
    drillObjectiveMs: drill?.objectiveMs ?? null,
  };
}
