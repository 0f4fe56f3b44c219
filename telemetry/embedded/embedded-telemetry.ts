// The Telemetry port on one machine: metric store, alarm evaluation (plain, metric math, composite),
// span store and captured log lines behind one class, because the port's methods read and evolve
// the same stores on one clock; the stores and evaluators themselves live in their own files.

import type { Readable } from 'node:stream';
import { type Clock, systemClock } from '../../core/clock.ts';
import type {
  AlarmDefinition,
  CompositeAlarmDefinition,
  MathAlarmDefinition,
  SuiteAlarmDefinition,
} from '../../core/schema.ts';
import { isCompositeAlarm, isMathAlarm } from '../../core/suite-alarms.ts';
import type { Timeline } from '../../core/timeline.ts';
import {
  type AlarmEvaluation,
  type AlarmSample,
  type AlarmStatisticSet,
  buildPeriodDatapoints,
  defaultEvaluationRange,
  type EvaluatedDatapoint,
  evaluateAlarm,
  evaluationIntervalSeconds,
} from '../alarm-evaluator.ts';
import {
  type AlarmRuleNode,
  type ChildState,
  evaluateCompositeAlarm,
  parseAlarmRule,
  ruleAlarmNames,
} from '../composite-alarm.ts';
import { type CompiledMetricQueries, compileMetricQueries } from '../metric-math/compile-metric-queries.ts';
import { buildQueryDatapoints, evaluateMathAlarm } from '../metric-math/evaluate-math-alarm.ts';
import type { Telemetry } from '../port.ts';
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
} from '../types.ts';
import { LogStore } from './log-store.ts';
import { MetricStore, type StoredSeries } from './metric-store.ts';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.ts';
import { SpanStore } from './span-store.ts';

export interface EmbeddedTelemetryOptions {
  /** CloudWatch alarm definitions to evaluate (the suite's `alarms`: single-metric, math or composite). */
  alarms?: readonly SuiteAlarmDefinition[];
  /** Metric math alarms (`Metrics`), evaluated with the same rules (telemetry/README.md). */
  mathAlarms?: readonly MathAlarmDefinition[];
  /** Composite alarms, evaluated each minute after the metric alarms, children first. */
  compositeAlarms?: readonly CompositeAlarmDefinition[];
  /**
   * Alarm time runs this many times faster than the wall clock. @defaultValue 1
   * See {@link EmbeddedTelemetry} for how metric timestamps map onto alarm time.
   */
  timeScale?: number;
  /** Evaluation range in periods. @defaultValue N + max(⌊N/3⌋, 2) */
  evaluationRange?: (alarm: Pick<AlarmDefinition, 'AlarmName' | 'EvaluationPeriods'>) => number;
  timeline?: Timeline;
  clock?: Clock;
  metrics?: MetricStore;
  maxSpans?: number;
  maxLogRecords?: number;
  /** Removes secrets from captured log lines before they are stored. */
  redactLog?: (line: string) => string;
}

interface AlarmRuntime {
  definition: AlarmDefinition | MathAlarmDefinition | CompositeAlarmDefinition;
  /** Period of the datapoints it evaluates, seconds (60 for a composite). */
  period: number;
  /** Set for a metric math alarm. */
  math?: CompiledMetricQueries;
  /** Set for a composite alarm. */
  rule?: AlarmRuleNode;
  /** Alarm-clock ms of the last state change (composite reasons name the latest child). */
  since: number;
  state: AlarmStateValue;
  reason: string;
  history: AlarmStateChange[];
  /** Alarm-clock ms of the next evaluation. */
  nextEvaluation: number;
  last?: AlarmEvaluation;
  /** Every datapoint an evaluation used, by period start (alarm-clock ms), for evidence. */
  evaluated: Map<number, EvaluatedDatapoint>;
}

const MAX_HISTORY = 1000;
/** Periods of evaluated datapoints kept per alarm (a day of one-minute periods is 1440). */
const MAX_EVALUATED = 2000;

/**
 * The embedded provider: metrics, alarms, traces and logs in this process.
 *
 * Time scale. Alarms run on an *alarm clock*: `alarmMs = (wallMs − origin) × timeScale`, where
 * `origin` is when the provider was created. Every metric timestamp (the datum's `Timestamp`, or the
 * wall clock when it has none) is mapped the same way, so a request recorded 1 s of wall time after
 * the origin lands at 30 s of alarm time with `timeScale: 30`, and a 60 s period lasts 2 s of wall
 * time. Periods are aligned to the origin (`[k·Period, (k+1)·Period)` of alarm time); alarms are
 * evaluated on a timer at every minute of alarm time (every period for 10/20/30 s alarms), each
 * evaluation seeing the periods complete at that moment. State changes are reported with wall-clock
 * timestamps, so measured times (time to alarm) are wall time; multiply by `timeScale` for the alarm
 * time they stand for.
 */
export class EmbeddedTelemetry implements Telemetry {
  readonly provider = 'embedded' as const;
  readonly metrics: MetricStore;
  readonly spans: SpanStore;
  readonly logs: LogStore;
  readonly timeScale: number;
  /** Wall-clock epoch ms that alarm time 0 corresponds to. */
  readonly origin: number;
  readonly #alarms = new Map<string, AlarmRuntime>();
  readonly #listeners = new Set<(change: AlarmStateChange) => void>();
  readonly #clock: Clock;
  readonly #timeline: Timeline | undefined;
  readonly #rangeOf: (alarm: Pick<AlarmDefinition, 'AlarmName' | 'EvaluationPeriods'>) => number;
  readonly #captures: (() => void)[] = [];
  #receiver: OtlpReceiver | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: EmbeddedTelemetryOptions = {}) {
    this.metrics = options.metrics ?? new MetricStore();
    this.spans = new SpanStore({ maxSpans: options.maxSpans });
    this.logs = new LogStore({ maxRecords: options.maxLogRecords, redact: options.redactLog });
    this.timeScale = options.timeScale ?? 1;
    this.#clock = options.clock ?? systemClock;
    this.#timeline = options.timeline;
    this.#rangeOf = options.evaluationRange ?? ((a) => defaultEvaluationRange(a.EvaluationPeriods));
    this.origin = this.#clock.wall().getTime();
    for (const alarm of options.alarms ?? []) {
      if (isMathAlarm(alarm)) this.addMathAlarm(alarm);
      else if (isCompositeAlarm(alarm)) this.addCompositeAlarm(alarm);
      else this.addAlarm(alarm);
    }
    for (const alarm of options.mathAlarms ?? []) this.addMathAlarm(alarm);
    for (const alarm of options.compositeAlarms ?? []) this.addCompositeAlarm(alarm);
  }

  /** Starts the OTLP receiver and the alarm timer. */
  async start(options: { otlp?: boolean; otlpPort?: number } = {}): Promise<this> {
    if (options.otlp !== false && !this.#receiver) {
      this.#receiver = await startOtlpReceiver(this.spans, {
        port: options.otlpPort,
        now: () => this.#clock.wall().getTime(),
      });
    }
    this.#schedule();
    return this;
  }

  /** OTLP/HTTP base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`, once started. */
  get otlpUrl(): string | undefined {
    return this.#receiver?.url;
  }

  /** Alarm-clock ms for a wall-clock epoch ms. */
  toAlarmTime(wallMs: number): number {
    return (wallMs - this.origin) * this.timeScale;
  }

  /** Wall-clock epoch ms for an alarm-clock ms. */
  toWallTime(alarmMs: number): number {
    return this.origin + alarmMs / this.timeScale;
  }

  addAlarm(definition: AlarmDefinition): void {
    this.#register(definition, definition.Period, {});
  }

  /** A metric math alarm; throws a MetricQueriesError (one sentence) when its Metrics cannot be evaluated. */
  addMathAlarm(definition: MathAlarmDefinition): void {
    const math = compileMetricQueries(definition.Metrics);
    this.#register(definition, math.period, { math });
  }

  /** A composite alarm; its children may be added before or after it (a missing one counts as INSUFFICIENT_DATA). */
  addCompositeAlarm(definition: CompositeAlarmDefinition): void {
    this.#register(definition, 60, { rule: parseAlarmRule(definition.AlarmRule) });
  }

  #register(
    definition: AlarmRuntime['definition'],
    period: number,
    kind: Pick<AlarmRuntime, 'math' | 'rule'>,
  ): void {
    const interval = evaluationIntervalSeconds(period) * 1000;
    const now = this.toAlarmTime(this.#clock.wall().getTime());
    this.#alarms.set(definition.AlarmName, {
      definition,
      period,
      ...kind,
      since: now,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      history: [],
      evaluated: new Map(),
      nextEvaluation: Math.floor(now / interval) * interval + interval,
    });
  }

  async putMetricData(namespace: string, data: readonly MetricDatum[]): Promise<void> {
    this.metrics.put(namespace, data, this.#clock.wall().getTime());
  }

  /** Captures the target's output (JSON lines; other lines kept raw) until the stream ends. */
  captureLogs(stream: Readable, source: string): () => void {
    const stop = this.logs.capture(stream, source, () => this.#clock.wall().getTime());
    this.#captures.push(stop);
    return stop;
  }

  async listAlarmNames(): Promise<string[]> {
    return [...this.#alarms.keys()];
  }

  async getAlarmState(alarmName: string): Promise<AlarmStateValue | undefined> {
    return this.#alarms.get(alarmName)?.state;
  }

  /** The alarm's last evaluation (datapoints and reason), for reports. */
  lastEvaluation(alarmName: string): AlarmEvaluation | undefined {
    return this.#alarms.get(alarmName)?.last;
  }

  async getAlarmDatapoints(
    alarmName: string,
    window: { from: Date; to: Date },
  ): Promise<MetricStatisticsDatapoint[] | undefined> {
    const alarm = this.#alarms.get(alarmName);
    if (!alarm) return undefined;
    if (alarm.rule) return this.#compositeDatapoints(alarm, window);
    const periodWallMs = (alarm.period * 1000) / this.timeScale;
    const from = window.from.getTime();
    const to = window.to.getTime();
    return [...alarm.evaluated.values()]
      .map((d) => ({
        timestamp: new Date(this.toWallTime(d.start)),
        value: d.value,
        sampleCount: d.sampleCount,
      }))
      .filter((d) => d.timestamp.getTime() < to && d.timestamp.getTime() + periodWallMs > from)
      .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  /**
   * A composite evaluates no datapoints of its own: its evidence is what its metric and math alarms
   * (at any depth) evaluated in the window, each labelled with its alarm.
   */
  async #compositeDatapoints(
    composite: AlarmRuntime,
    window: { from: Date; to: Date },
  ): Promise<MetricStatisticsDatapoint[]> {
    const out: MetricStatisticsDatapoint[] = [];
    const seen = new Set<string>([composite.definition.AlarmName]);
    const visit = async (runtime: AlarmRuntime): Promise<void> => {
      for (const name of ruleAlarmNames(runtime.rule!)) {
        const child = this.#alarms.get(name);
        if (!child || seen.has(name)) continue;
        seen.add(name);
        if (child.rule) await visit(child);
        else
          for (const d of (await this.getAlarmDatapoints(name, window)) ?? [])
            out.push({ ...d, alarm: name });
      }
    };
    await visit(composite);
    return out.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
  }

  async getAlarmHistory(alarmName: string, window: { from: Date; to?: Date }): Promise<AlarmStateChange[]> {
    const from = window.from.getTime();
    const to = window.to?.getTime() ?? Number.POSITIVE_INFINITY;
    return (this.#alarms.get(alarmName)?.history ?? []).filter(
      (c) => c.timestamp.getTime() >= from && c.timestamp.getTime() <= to,
    );
  }

  onAlarmStateChange(listener: (change: AlarmStateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async findTraces(query: TraceQuery): Promise<TraceSummary[]> {
    return this.spans.find(query);
  }

  async findLogs(query: LogQuery): Promise<LogRecord[]> {
    return this.logs.find(query);
  }

  async getMetricStatistics(query: MetricStatisticsQuery): Promise<MetricStatisticsDatapoint[]> {
    const series = this.metrics.get(query.id);
    if (!series) return [];
    const percentile = query.statistic.startsWith('p');
    const alarmLike = {
      Period: query.periodSeconds,
      ...(percentile
        ? { ExtendedStatistic: query.statistic }
        : { Statistic: query.statistic as AlarmDefinition['Statistic'] }),
    };
    // Plain wall-clock periods: statistics are not on the alarm clock.
    const { samples, sets } = samplesOf(series, (t) => t);
    return buildPeriodDatapoints(alarmLike, samples, sets, {
      from: query.from.getTime(),
      to: query.to.getTime(),
    }).map((d) => ({ timestamp: new Date(d.start), value: d.value, sampleCount: d.sampleCount }));
  }

  /**
   * Runs every evaluation due up to now (alarm clock). The timer calls it; tests call it directly.
   * Returns the state changes it caused.
   */
  evaluateAlarmsNow(): AlarmStateChange[] {
    const nowWall = this.#clock.wall().getTime();
    const now = this.toAlarmTime(nowWall);
    const changes: AlarmStateChange[] = [];
    // Metric and math alarms first, then composites, children before parents (as CloudWatch does).
    for (const alarm of this.#evaluationOrder()) {
      const interval = evaluationIntervalSeconds(alarm.period) * 1000;
      // After a stall (a paused process), evaluate only the latest due instant, as CloudWatch would.
      if (alarm.nextEvaluation > now) continue;
      const at = Math.floor(now / interval) * interval;
      alarm.nextEvaluation = at + interval;
      const change = this.#evaluate(alarm, at);
      if (change) changes.push(change);
    }
    return changes;
  }

  /** Metric and math alarms, then composites with every composite after the composites it names. */
  #evaluationOrder(): AlarmRuntime[] {
    const all = [...this.#alarms.values()];
    const order = all.filter((a) => !a.rule);
    const placed = new Set<string>();
    const visit = (alarm: AlarmRuntime, path: Set<string>) => {
      const name = alarm.definition.AlarmName;
      if (placed.has(name) || path.has(name)) return; // a cycle: CloudWatch stops evaluating it too
      path.add(name);
      for (const child of ruleAlarmNames(alarm.rule!)) {
        const next = this.#alarms.get(child);
        if (next?.rule) visit(next, path);
      }
      placed.add(name);
      order.push(alarm);
    };
    for (const alarm of all) if (alarm.rule) visit(alarm, new Set());
    return order;
  }

  /** The state and reason of one evaluation of any kind of alarm at `at` (alarm clock). */
  #evaluateOnce(alarm: AlarmRuntime, at: number): Pick<AlarmEvaluation, 'state' | 'reason' | 'changed'> {
    const reasonTime = (ms: number) => this.toWallTime(ms);
    if (alarm.rule) {
      const children = new Map<string, ChildState>();
      for (const name of ruleAlarmNames(alarm.rule)) {
        const child = this.#alarms.get(name);
        if (child) children.set(name, { state: child.state, since: child.since });
      }
      return evaluateCompositeAlarm(alarm.rule, {
        now: at,
        previousState: alarm.state,
        children,
        reasonTime,
      });
    }
    const def = alarm.definition as AlarmDefinition | MathAlarmDefinition;
    const range = this.#rangeOf(def);
    const periodMs = alarm.period * 1000;
    const lastEnd = Math.floor(at / periodMs) * periodMs;
    const window = { from: lastEnd - range * periodMs, to: lastEnd };
    const read = (metric: Pick<AlarmDefinition, 'Namespace' | 'MetricName' | 'Dimensions'>) => {
      const series = this.metrics.get({
        Namespace: metric.Namespace,
        MetricName: metric.MetricName,
        Dimensions: metric.Dimensions ?? [],
      });
      return series ? samplesOf(series, (t) => this.toAlarmTime(t)) : { samples: [], sets: [] };
    };
    let evaluation: AlarmEvaluation;
    if (alarm.math) {
      const datapoints = new Map(
        alarm.math.metrics.map((m) => {
          const { samples, sets } = read(m.metric);
          const inWindow = (t: number) => t >= window.from && t < window.to;
          return [
            m.id,
            buildQueryDatapoints(
              m,
              samples.filter((x) => inWindow(x.t)),
              sets.filter((x) => inWindow(x.t)),
            ),
          ];
        }),
      );
      evaluation = evaluateMathAlarm(
        def as MathAlarmDefinition,
        alarm.math,
        { now: at, datapoints, previousState: alarm.state, evaluationRange: range },
        { reasonTime },
      );
    } else {
      const metricDef = def as AlarmDefinition;
      const { samples, sets } = read(metricDef);
      const datapoints = buildPeriodDatapoints(metricDef, samples, sets, window);
      evaluation = evaluateAlarm(
        metricDef,
        { now: at, datapoints, previousState: alarm.state, evaluationRange: range },
        { reasonTime },
      );
    }
    alarm.last = evaluation;
    for (const d of evaluation.range) alarm.evaluated.set(d.start, d);
    for (const start of alarm.evaluated.keys()) {
      if (alarm.evaluated.size <= MAX_EVALUATED) break;
      alarm.evaluated.delete(start);
    }
    return evaluation;
  }

  #evaluate(alarm: AlarmRuntime, at: number): AlarmStateChange | undefined {
    const def = alarm.definition;
    const evaluation = this.#evaluateOnce(alarm, at);
    if (!evaluation.changed) return undefined;
    alarm.since = at;
    const change: AlarmStateChange = {
      alarmName: def.AlarmName,
      timestamp: new Date(this.#clock.wall().getTime()),
      oldState: alarm.state,
      newState: evaluation.state,
      reason: evaluation.reason,
    };
    alarm.state = evaluation.state;
    alarm.reason = evaluation.reason;
    alarm.history.push(change);
    if (alarm.history.length > MAX_HISTORY) alarm.history.shift();
    this.#timeline?.emit({
      type: 'alarm.state',
      alarm: def.AlarmName,
      from: change.oldState,
      to: change.newState,
      reason: change.reason,
    });
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not stop alarm evaluation.
      }
    }
    return change;
  }

  #schedule(): void {
    if (this.#closed || this.#alarms.size === 0 || this.#timer) return;
    const tick = () => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.evaluateAlarmsNow();
      const next = Math.min(...[...this.#alarms.values()].map((a) => a.nextEvaluation));
      const delay = Math.max(1, this.toWallTime(next) - this.#clock.wall().getTime());
      this.#timer = setTimeout(tick, delay);
      this.#timer.unref();
    };
    const next = Math.min(...[...this.#alarms.values()].map((a) => a.nextEvaluation));
    this.#timer = setTimeout(tick, Math.max(1, this.toWallTime(next) - this.#clock.wall().getTime()));
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const stop of this.#captures) stop();
    await this.#receiver?.close();
    this.#receiver = undefined;
  }
}

/** A stored series' samples and statistic sets with timestamps mapped by `toTime`. */
function samplesOf(
  series: StoredSeries,
  toTime: (epochMs: number) => number,
): { samples: AlarmSample[]; sets: AlarmStatisticSet[] } {
  return {
    samples: series.samples.map((s) => ({ t: toTime(s.timestamp), value: s.value, count: s.count })),
    sets: series.statisticSets.map((s) => ({
      t: toTime(s.timestamp),
      sampleCount: s.sampleCount,
      sum: s.sum,
      minimum: s.minimum,
      maximum: s.maximum,
    })),
  };
}
