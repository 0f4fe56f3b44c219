import type { MetricDataQuery } from '../../core/schema.ts';
import {
  evaluateMathNode,
  type MathMetricInput,
  type MathValue,
  type MathWindow,
  MetricMathError,
  OFFLINE_UNSUPPORTED,
} from './evaluate-metric-math.ts';
import {
  callsFunction,
  type MathNode,
  MetricMathSyntaxError,
  parseMetricMath,
  referencedIds,
} from './parse-metric-math.ts';

/**
 * An alarm's `Metrics` array checked and ordered once, as PutMetricAlarm would accept it:
 * - exactly one query has `ReturnData: true` (CloudWatch's default is true, so a lone query
 *   counts), and it must give one time series;
 * - at most 10 metric queries and 10 expressions (20 in all);
 * - every metric query has the same period, which is the alarm's period: AWS does not document how
 *   an alarm combines metrics of different periods, so opsproof refuses them rather than guess;
 * - expressions may use other expressions (evaluated in dependency order; a cycle is refused);
 * - Metrics Insights queries (`SELECT …`) and functions CloudWatch alone can evaluate are refused by name.
 */
export interface CompiledMetricQueries {
  /** Id of the `ReturnData` query. */
  returnId: string;
  /** The alarm's period, seconds (that of its metric queries). */
  period: number;
  /** Metric queries, in the order of the Metrics array (METRICS() keeps it). */
  metrics: {
    id: string;
    stat: string;
    period: number;
    metric: NonNullable<MetricDataQuery['MetricStat']>['Metric'];
  }[];
  /** Expressions in evaluation order (dependencies first). */
  expressions: { id: string; node: MathNode }[];
}

/** Why the queries cannot be evaluated: one sentence, naming the query. */
export class MetricQueriesError extends Error {
  override readonly name = 'MetricQueriesError';
}

/** Checks and orders an alarm's Metrics array; throws {@link MetricQueriesError}. Pure. */
export function compileMetricQueries(queries: readonly MetricDataQuery[]): CompiledMetricQueries {
  const ids = new Set<string>();
  for (const q of queries) {
    if (ids.has(q.Id)) throw new MetricQueriesError(`two queries have the Id "${q.Id}"`);
    ids.add(q.Id);
  }
  const returning = queries.filter((q) => q.ReturnData ?? true);
  if (returning.length !== 1) {
    throw new MetricQueriesError(
      `exactly one query must have ReturnData: true, found ${returning.length}${returning.length ? ` (${returning.map((q) => q.Id).join(', ')})` : ''}`,
    );
  }
  const metricQueries = queries.filter((q) => q.MetricStat);
  const expressionQueries = queries.filter((q) => q.Expression !== undefined);
  if (metricQueries.length > 10 || expressionQueries.length > 10) {
    throw new MetricQueriesError('an alarm takes at most 10 metric queries and 10 expressions');
  }
  const periods = new Set(metricQueries.map((q) => q.MetricStat!.Period));
  if (periods.size > 1) {
    throw new MetricQueriesError(
      `the metric queries of one alarm must share one period, found ${[...periods].sort((a, b) => a - b).join(' and ')} s`,
    );
  }
  const period = metricQueries[0]?.MetricStat?.Period ?? expressionQueries.find((q) => q.Period)?.Period;
  if (period === undefined) throw new MetricQueriesError('no metric query gives the alarm a period');

  const parsed = new Map<string, MathNode>();
  for (const q of expressionQueries) {
    const text = q.Expression!;
    if (/^\s*SELECT\b/i.test(text)) {
      throw new MetricQueriesError(
        `query "${q.Id}" is a Metrics Insights query (SELECT …), which reads the account's metrics and cannot be reproduced offline`,
      );
    }
    let node: MathNode;
    try {
      node = parseMetricMath(text);
    } catch (error) {
      if (error instanceof MetricMathSyntaxError)
        throw new MetricQueriesError(`query "${q.Id}": ${error.message}`);
      throw error;
    }
    for (const [fn, why] of Object.entries(OFFLINE_UNSUPPORTED)) {
      if (callsFunction(node, fn)) throw new MetricQueriesError(`query "${q.Id}": ${why}`);
    }
    for (const ref of referencedIds(node)) {
      if (!ids.has(ref))
        throw new MetricQueriesError(`query "${q.Id}" uses "${ref}", which no query has as its Id`);
    }
    parsed.set(q.Id, node);
  }

  // Dependency order; METRICS() depends on the metric queries only, which need no evaluation.
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    const node = parsed.get(id);
    if (!node || state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      throw new MetricQueriesError(
        `expressions refer to each other in a cycle: ${[...path, id].join(' → ')}`,
      );
    }
    state.set(id, 'visiting');
    for (const ref of referencedIds(node)) visit(ref, [...path, id]);
    state.set(id, 'done');
    order.push(id);
  };
  for (const q of expressionQueries) visit(q.Id, []);

  const compiled: CompiledMetricQueries = {
    returnId: returning[0]!.Id,
    period,
    metrics: metricQueries.map((q) => ({
      id: q.Id,
      stat: q.MetricStat!.Stat,
      period: q.MetricStat!.Period,
      metric: q.MetricStat!.Metric,
    })),
    expressions: order.map((id) => ({ id, node: parsed.get(id)! })),
  };
  // A dry run on an empty window finds type errors (an array or a scalar where one series is due,
  // PERIOD of an expression) when the alarm is loaded rather than at its first evaluation.
  try {
    evaluateMetricQueries(compiled, { start: 0, periodMs: period * 1000, length: 3 }, new Map());
  } catch (error) {
    if (error instanceof MetricMathError) throw new MetricQueriesError(error.message);
    throw error;
  }
  return compiled;
}

/**
 * The `ReturnData` series over a window, from each metric query's values on that window (`NaN` where
 * a period has no datapoint). Throws {@link MetricMathError} when the result is not one time series.
 * Pure.
 */
export function evaluateMetricQueries(
  compiled: CompiledMetricQueries,
  window: MathWindow,
  metricValues: ReadonlyMap<string, Float64Array>,
): Float64Array {
  const inputs: MathMetricInput[] = compiled.metrics.map((m) => ({
    id: m.id,
    period: m.period,
    values: metricValues.get(m.id) ?? new Float64Array(window.length).fill(Number.NaN),
  }));
  const values = new Map<string, MathValue>();
  for (const m of inputs) values.set(m.id, { kind: 'series', series: { values: m.values } });
  const periodOf = (id: string) => compiled.metrics.find((m) => m.id === id)?.period;
  for (const { id, node } of compiled.expressions) {
    let value: MathValue;
    try {
      value = evaluateMathNode(node, {
        window,
        metrics: inputs,
        resolve: (ref) => values.get(ref)!,
        periodOf,
      });
    } catch (error) {
      if (error instanceof MetricMathError) throw new MetricMathError(`query "${id}": ${error.message}`);
      throw error;
    }
    values.set(id, value);
  }
  const result = values.get(compiled.returnId)!;
  if (result.kind !== 'series') {
    const got = result.kind === 'scalar' ? 'a scalar' : 'an array of time series';
    throw new MetricMathError(
      `query "${compiled.returnId}" (ReturnData) must give one time series, it gives ${got}`,
    );
  }
  return result.series.values;
}
