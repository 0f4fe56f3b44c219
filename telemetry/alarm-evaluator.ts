import type { AlarmDefinition } from '../core/schema.ts';
import type { AlarmStateValue, ComparisonOperator, Statistic } from './types.ts';

/**
 * The CloudWatch alarm evaluator, pure: alarm definition + datapoints (+ previous state) → state and
 * reason. The embedded provider calls it on a timer; `opsproof alarms test` calls it offline.
 *
 * Semantics follow the CloudWatch User Guide ("Evaluating an alarm", "Configuring how CloudWatch
 * alarms treat missing data", "Avoiding premature transitions to alarm state", "Percentile-based
 * alarms and low data samples"):
 * - each evaluation looks at an *evaluation range* of the R most recent complete periods
 *   (R = N + max(⌊N/3⌋, 2) unless configured; 5 for N = 3 as in AWS's examples);
 * - with at least N real datapoints in the range the N most recent are used and TreatMissingData
 *   plays no part;
 * - with fewer, every real datapoint is used and the rest are filled according to TreatMissingData
 *   as few times as possible; `missing` with no datapoint ⇒ INSUFFICIENT_DATA, `ignore` keeps the
 *   state, and `missing` goes to ALARM early when the oldest breaching datapoint is at least M
 *   periods old and every more recent one is breaching or missing ("premature alarm" rule);
 * - ALARM when at least M (DatapointsToAlarm) of the N evaluated datapoints breach, else OK.
 */

/** The subset of an alarm definition the evaluator reads (CloudWatch property names). */
export type EvaluatedAlarm = Pick<
  AlarmDefinition,
  | 'AlarmName'
  | 'Statistic'
  | 'ExtendedStatistic'
  | 'Period'
  | 'EvaluationPeriods'
  | 'DatapointsToAlarm'
  | 'Threshold'
  | 'ComparisonOperator'
  | 'TreatMissingData'
  | 'EvaluateLowSampleCountPercentile'
>;

/** One raw sample on the alarm's clock: `t` in ms, a value seen `count` times. */
export interface AlarmSample {
  t: number;
  value: number;
  count: number;
}

/** A statistic set (PutMetricData `StatisticValues`) on the alarm's clock. */
export interface AlarmStatisticSet {
  t: number;
  sampleCount: number;
  sum: number;
  minimum: number;
  maximum: number;
}

/** One aggregated datapoint: the alarm's statistic over the period starting at `start` (ms). */
export interface PeriodDatapoint {
  start: number;
  value: number;
  sampleCount: number;
}

export interface EvaluatedDatapoint extends PeriodDatapoint {
  breaching: boolean;
  /** Fewer samples than a percentile needs to be statistically significant. */
  lowSampleCount?: boolean;
}

export interface AlarmEvaluation {
  state: AlarmStateValue;
  /** CloudWatch-style reason, e.g. "Threshold Crossed: 2 out of the last 3 datapoints [...] ...". */
  reason: string;
  changed: boolean;
  /** The real datapoints of the evaluation range, oldest first. */
  range: EvaluatedDatapoint[];
  /** Evaluation time (ms on the alarm's clock). */
  at: number;
}

export interface EvaluateAlarmInput {
  /** Evaluation time, ms on the alarm's clock. Periods ending at or before it are complete. */
  now: number;
  /** Aggregated datapoints (any order; only those inside the evaluation range are used). */
  datapoints: readonly PeriodDatapoint[];
  previousState: AlarmStateValue;
  /** Periods in the evaluation range. @defaultValue N + max(⌊N/3⌋, 2) */
  evaluationRange?: number;
}

/** The default evaluation range: N + max(⌊N/3⌋, 2) periods (5 for N = 3, as AWS's examples). */
export function defaultEvaluationRange(evaluationPeriods: number): number {
  return evaluationPeriods + Math.max(Math.floor(evaluationPeriods / 3), 2);
}

/** How often CloudWatch evaluates the alarm: every period for 10/20/30 s alarms, else every minute. */
export function evaluationIntervalSeconds(period: number): number {
  return Math.min(period, 60);
}

/** The numeric percentile of `p99`, `p99.9`, `p50`. */
export function parsePercentile(extendedStatistic: string): number {
  const match = /^p(\d+(?:\.\d+)?)$/.exec(extendedStatistic);
  if (!match) throw new TypeError(`unsupported ExtendedStatistic "${extendedStatistic}" (expected pNN)`);
  return Number(match[1]);
}

/**
 * The sample count below which a percentile is not statistically significant (CloudWatch: fewer than
 * 10/(1-p) datapoints for p in [0.5, 1), 10/p for p in (0, 0.5)).
 */
export function lowSampleThreshold(percentile: number): number {
  const p = percentile / 100;
  if (p >= 1 || p <= 0) return 0;
  return p >= 0.5 ? 10 / (1 - p) : 10 / p;
}

/** Nearest-rank percentile over weighted samples; `undefined` with no samples. */
export function computePercentile(samples: readonly { value: number; count: number }[], percentile: number) {
  const sorted = samples.filter((s) => s.count > 0).sort((a, b) => a.value - b.value);
  const total = sorted.reduce((n, s) => n + s.count, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((percentile / 100) * total));
  let seen = 0;
  for (const s of sorted) {
    seen += s.count;
    if (seen >= rank) return s.value;
  }
  return sorted.at(-1)!.value;
}

function computeStatistic(
  statistic: Statistic,
  samples: readonly AlarmSample[],
  sets: readonly AlarmStatisticSet[],
): number | undefined {
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    count += s.count;
    sum += s.value * s.count;
    min = Math.min(min, s.value);
    max = Math.max(max, s.value);
  }
  for (const s of sets) {
    count += s.sampleCount;
    sum += s.sum;
    min = Math.min(min, s.minimum);
    max = Math.max(max, s.maximum);
  }
  if (count === 0) return undefined;
  switch (statistic) {
    case 'SampleCount':
      return count;
    case 'Sum':
      return sum;
    case 'Average':
      return sum / count;
    case 'Minimum':
      return min;
    case 'Maximum':
      return max;
  }
}

/**
 * Aggregates samples into one datapoint per period `[k·Period, (k+1)·Period)` with the alarm's
 * statistic. Percentiles use raw values only (CloudWatch cannot compute them from statistic sets): a
 * period holding only statistic sets has no percentile datapoint.
 */
export function buildPeriodDatapoints(
  alarm: Pick<EvaluatedAlarm, 'Statistic' | 'ExtendedStatistic' | 'Period'>,
  samples: readonly AlarmSample[],
  sets: readonly AlarmStatisticSet[] = [],
  window?: { from: number; to: number },
): PeriodDatapoint[] {
  const periodMs = alarm.Period * 1000;
  const byPeriod = new Map<number, { samples: AlarmSample[]; sets: AlarmStatisticSet[] }>();
  const bucket = (t: number) => {
    const start = Math.floor(t / periodMs) * periodMs;
    let entry = byPeriod.get(start);
    if (!entry) {
      entry = { samples: [], sets: [] };
      byPeriod.set(start, entry);
    }
    return entry;
  };
  const inWindow = (t: number) => !window || (t >= window.from && t < window.to);
  for (const s of samples) if (inWindow(s.t)) bucket(s.t).samples.push(s);
  for (const s of sets) if (inWindow(s.t)) bucket(s.t).sets.push(s);
  const out: PeriodDatapoint[] = [];
  for (const [start, entry] of [...byPeriod.entries()].sort((a, b) => a[0] - b[0])) {
    const sampleCount =
      entry.samples.reduce((n, s) => n + s.count, 0) + entry.sets.reduce((n, s) => n + s.sampleCount, 0);
    const value = alarm.ExtendedStatistic
      ? computePercentile(entry.samples, parsePercentile(alarm.ExtendedStatistic))
      : computeStatistic(alarm.Statistic ?? 'Average', entry.samples, entry.sets);
    if (value !== undefined) out.push({ start, value, sampleCount });
  }
  return out;
}

export function isBreaching(operator: ComparisonOperator, value: number, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

const OPERATOR_TEXT: Record<ComparisonOperator, string> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** CloudWatch prints `10.0`, `0.05`. */
export function formatReasonNumber(value: number): string {
  if (Number.isInteger(value)) return value.toFixed(1);
  return String(Math.round(value * 1e6) / 1e6);
}

/** CloudWatch's reason timestamps: `dd/MM/yy HH:mm:ss` (UTC). */
export function formatReasonTime(ms: number, origin = 0): string {
  const d = new Date(origin + ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export interface EvaluateAlarmOptions {
  /** Maps a datapoint time (alarm clock) to epoch ms for reasons. @defaultValue identity */
  reasonTime?: (alarmMs: number) => number;
}

/** Evaluates the alarm at `input.now`. Pure. */
export function evaluateAlarm(
  alarm: EvaluatedAlarm,
  input: EvaluateAlarmInput,
  options: EvaluateAlarmOptions = {},
): AlarmEvaluation {
  const n = alarm.EvaluationPeriods;
  const m = alarm.DatapointsToAlarm ?? n;
  const treat = alarm.TreatMissingData ?? 'missing';
  const periodMs = alarm.Period * 1000;
  const rangeSize = Math.max(input.evaluationRange ?? defaultEvaluationRange(n), n);
  const lastEnd = Math.floor(input.now / periodMs) * periodMs;
  const firstStart = lastEnd - rangeSize * periodMs;
  const percentile = alarm.ExtendedStatistic ? parsePercentile(alarm.ExtendedStatistic) : undefined;
  const lowThreshold = percentile === undefined ? 0 : lowSampleThreshold(percentile);

  const byStart = new Map<number, PeriodDatapoint>();
  for (const d of input.datapoints) {
    if (d.start >= firstStart && d.start < lastEnd) byStart.set(d.start, d);
  }
  // Slots of the range, oldest first; `undefined` where the period has no datapoint.
  const slots: (EvaluatedDatapoint | undefined)[] = [];
  for (let i = 0; i < rangeSize; i++) {
    const d = byStart.get(firstStart + i * periodMs);
    slots.push(
      d && {
        ...d,
        breaching: isBreaching(alarm.ComparisonOperator, d.value, alarm.Threshold),
        ...(percentile !== undefined && d.sampleCount < lowThreshold ? { lowSampleCount: true } : {}),
      },
    );
  }
  const real = slots.filter((s): s is EvaluatedDatapoint => s !== undefined);
  const previous = input.previousState;
  const at = input.now;
  const toEpoch = options.reasonTime ?? ((ms: number) => ms);
  const verb = OPERATOR_TEXT[alarm.ComparisonOperator];
  const threshold = formatReasonNumber(alarm.Threshold);
  const list = (points: EvaluatedDatapoint[]) =>
    `[${[...points]
      .reverse()
      .map((p) => `${formatReasonNumber(p.value)} (${formatReasonTime(toEpoch(p.start))})`)
      .join(', ')}]`;
  const result = (state: AlarmStateValue, reason: string): AlarmEvaluation => ({
    state,
    reason,
    changed: state !== previous,
    range: real,
    at,
  });
  const keep = (why: string) => result(previous, why);

  const used = real.length >= n ? real.slice(-n) : real;
  if (
    alarm.EvaluateLowSampleCountPercentile === 'ignore' &&
    used.length > 0 &&
    used.some((d) => d.lowSampleCount)
  ) {
    return keep(
      `Unchanged: ${alarm.ExtendedStatistic} has fewer than ${Math.ceil(lowThreshold)} samples in a period and EvaluateLowSampleCountPercentile is ignore.`,
    );
  }

  const toAlarm = (breaching: EvaluatedDatapoint[], filledBreaching: number, premature = false) => {
    const count = breaching.length + filledBreaching;
    const filled =
      filledBreaching > 0 ? ` (${plural(filledBreaching, 'missing datapoint')} treated as breaching)` : '';
    const early = premature ? ' (oldest breaching datapoint is old enough: premature alarm rule)' : '';
    return result(
      'ALARM',
      `Threshold Crossed: ${count} out of the last ${n} datapoints ${list(breaching)} ${count === 1 ? 'was' : 'were'} ${verb} the threshold (${threshold})${filled}${early} (minimum ${plural(m, 'datapoint')} for ${previous} -> ALARM transition).`,
    );
  };
  const toOk = (fine: EvaluatedDatapoint[], filledFine: number) => {
    const count = fine.length + filledFine;
    const filled =
      filledFine > 0 ? ` (${plural(filledFine, 'missing datapoint')} treated as not breaching)` : '';
    return result(
      'OK',
      `Threshold Crossed: ${count} out of the last ${n} datapoints ${list(fine)} ${count === 1 ? 'was' : 'were'} not ${verb} the threshold (${threshold})${filled} (minimum ${plural(n - m + 1, 'datapoint')} for ${previous} -> OK transition).`,
    );
  };

  if (real.length >= n) {
    const breaching = used.filter((d) => d.breaching);
    return breaching.length >= m
      ? toAlarm(breaching, 0)
      : toOk(
          used.filter((d) => !d.breaching),
          0,
        );
  }

  const fills = n - real.length;
  const breaching = real.filter((d) => d.breaching);
  const fine = real.filter((d) => !d.breaching);
  switch (treat) {
    case 'breaching':
      return breaching.length + fills >= m ? toAlarm(breaching, fills) : toOk(fine, 0);
    case 'notBreaching':
      return breaching.length >= m ? toAlarm(breaching, 0) : toOk(fine, fills);
    case 'missing':
    case 'ignore': {
      if (breaching.length >= m) return toAlarm(breaching, 0);
      if (fine.length > 0) return toOk(fine, 0);
      // Only breaching and missing datapoints from here on.
      if (treat === 'missing' && breaching.length > 0 && isPrematureAlarm(slots, fills, m))
        return toAlarm(breaching, 0, true);
      if (treat === 'ignore')
        return keep(
          `Unchanged: ${plural(fills, 'datapoint')} of the last ${n} missing and TreatMissingData is ignore.`,
        );
      return result(
        'INSUFFICIENT_DATA',
        real.length === 0
          ? `Insufficient Data: ${plural(rangeSize, 'datapoint')} ${rangeSize === 1 ? 'was' : 'were'} unknown.`
          : `Insufficient Data: ${plural(fills, 'datapoint')} of the last ${n} ${fills === 1 ? 'was' : 'were'} unknown and ${plural(breaching.length, 'breaching datapoint')} ${breaching.length === 1 ? 'is' : 'are'} fewer than ${m}.`,
      );
    }
  }
}

/**
 * AWS: the alarm goes to ALARM "when the oldest available breaching datapoint during the Evaluation
 * Periods number of data points is at least as old as the value of Datapoints to Alarm, and all other
 * more recent data points are breaching or missing" — and, as AWS's tables show (table 2, `0 - X - -`
 * stays OK), only when no evaluated datapoint is non-breaching; the caller checks that. The evaluated
 * datapoints are the real ones plus the most recent missing periods (filled as few times as possible).
 */
function isPrematureAlarm(slots: readonly (EvaluatedDatapoint | undefined)[], fills: number, m: number) {
  const chosen: (EvaluatedDatapoint | 'missing')[] = [];
  let missingLeft = fills;
  for (let i = slots.length - 1; i >= 0; i--) {
    const slot = slots[i];
    if (slot) chosen.unshift(slot);
    else if (missingLeft > 0) {
      chosen.unshift('missing');
      missingLeft--;
    }
  }
  const oldestBreaching = chosen.findIndex((p) => p !== 'missing' && p.breaching);
  if (oldestBreaching < 0) return false;
  const age = chosen.length - oldestBreaching;
  return age >= m;
}
