import type { MathAlarmDefinition } from '../../core/schema.ts';
import {
  type AlarmEvaluation,
  type AlarmSample,
  type AlarmStatisticSet,
  buildPeriodDatapoints,
  defaultEvaluationRange,
  type EvaluateAlarmOptions,
  evaluateAlarm,
  type PeriodDatapoint,
} from '../alarm-evaluator.ts';
import type { AlarmStateValue, Statistic } from '../types.ts';
import type { CompiledMetricQueries } from './compile-metric-queries.ts';
import { evaluateMetricQueries } from './compile-metric-queries.ts';

/** Each metric query's datapoints by period start (ms) → value. */
export type MetricQueryDatapoints = ReadonlyMap<string, ReadonlyMap<number, number>>;

const STATISTICS = new Set<string>(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']);

/**
 * One metric query's datapoints: its samples aggregated per period with its `Stat` (a statistic or
 * a percentile), exactly as a single-metric alarm's are. Pure.
 */
export function buildQueryDatapoints(
  query: { stat: string; period: number },
  samples: readonly AlarmSample[],
  sets: readonly AlarmStatisticSet[] = [],
): Map<number, number> {
  const datapoints = buildPeriodDatapoints(
    STATISTICS.has(query.stat)
      ? { Statistic: query.stat as Statistic, Period: query.period }
      : { ExtendedStatistic: query.stat, Period: query.period },
    samples,
    sets,
  );
  return new Map(datapoints.map((d) => [d.start, d.value]));
}

export interface EvaluateMathAlarmInput {
  now: number;
  datapoints: MetricQueryDatapoints;
  previousState: AlarmStateValue;
  /** Periods in the evaluation range. @defaultValue N + max(⌊N/3⌋, 2) */
  evaluationRange?: number;
}

/**
 * The `ReturnData` query's datapoints over the evaluation range ending at `now`. CloudWatch queries
 * the range on every evaluation, so window-dependent functions (FILL, RATE, RUNNING_SUM, LINEAR's
 * gaps) see what it sees: only the periods of the range. Pure.
 */
export function buildMathDatapoints(
  compiled: CompiledMetricQueries,
  evaluationPeriods: number,
  input: Pick<EvaluateMathAlarmInput, 'now' | 'datapoints' | 'evaluationRange'>,
): PeriodDatapoint[] {
  const periodMs = compiled.period * 1000;
  const length = Math.max(
    input.evaluationRange ?? defaultEvaluationRange(evaluationPeriods),
    evaluationPeriods,
  );
  const lastEnd = Math.floor(input.now / periodMs) * periodMs;
  const start = lastEnd - length * periodMs;
  const values = new Map<string, Float64Array>();
  for (const m of compiled.metrics) {
    const points = input.datapoints.get(m.id);
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) out[i] = points?.get(start + i * periodMs) ?? Number.NaN;
    values.set(m.id, out);
  }
  const result = evaluateMetricQueries(compiled, { start, periodMs, length }, values);
  const out: PeriodDatapoint[] = [];
  for (let i = 0; i < length; i++) {
    const v = result[i]!;
    if (!Number.isNaN(v)) out.push({ start: start + i * periodMs, value: v, sampleCount: 1 });
  }
  return out;
}

/**
 * Evaluates a metric math alarm at `input.now`: the math gives the datapoints of the evaluation
 * range, then the same M-of-N and TreatMissingData rules as any alarm apply to them. Pure.
 */
export function evaluateMathAlarm(
  alarm: MathAlarmDefinition,
  compiled: CompiledMetricQueries,
  input: EvaluateMathAlarmInput,
  options: EvaluateAlarmOptions = {},
): AlarmEvaluation {
  const datapoints = buildMathDatapoints(compiled, alarm.EvaluationPeriods, input);
  return evaluateAlarm(
    {
      AlarmName: alarm.AlarmName,
      Period: compiled.period,
      EvaluationPeriods: alarm.EvaluationPeriods,
      DatapointsToAlarm: alarm.DatapointsToAlarm,
      Threshold: alarm.Threshold,
      ComparisonOperator: alarm.ComparisonOperator,
      TreatMissingData: alarm.TreatMissingData,
    },
    {
      now: input.now,
      datapoints,
      previousState: input.previousState,
      ...(input.evaluationRange ? { evaluationRange: input.evaluationRange } : {}),
    },
    options,
  );
}
