/**
 * CloudWatch metric math evaluated offline: operators and every supported function over series and
 * scalars. One file, over 400 lines, because the functions share the same alignment and missing-value
 * rules, and SUPPORTED_FUNCTIONS must list exactly what evaluateMathNode implements.
 */

import type { MathNode } from './parse-metric-math.ts';

/**
 * Evaluates parsed metric math over the periods of one query window, as the CloudWatch User Guide
 * documents ("Metric math syntax and functions", "Using IF expressions"):
 * - a time series is one value per period of the window, `NaN` where the period has no datapoint;
 * - arithmetic and comparison between two series treat a value missing in one of them as 0 (a period
 *   missing in both stays missing); with a scalar, a missing value stays missing;
 * - a result that divides by zero (or is otherwise not finite) is dropped: the period has no datapoint;
 * - comparisons and logical operators give 1 (true) or 0 (false);
 * - SUM/AVG/MIN/MAX/STDDEV of one series give a scalar over its datapoints; of an array of series, one
 *   series (missing values count as 0, as AWS documents for AVG);
 * - functions that need data CloudWatch alone has (anomaly models, SEARCH, Contributor Insights,
 *   service quotas, Lambda data sources) are refused by name.
 */

/** A series over the window: `values[i]` is the datapoint of period `i` (`NaN` when missing). */
export interface MathSeries {
  values: Float64Array;
}

export type MathValue =
  | { kind: 'scalar'; value: number }
  | { kind: 'series'; series: MathSeries }
  | { kind: 'array'; series: MathSeries[] };

/** One metric query's data as the expression sees it. */
export interface MathMetricInput {
  id: string;
  /** Period of the metric, seconds (what PERIOD() returns). */
  period: number;
  values: Float64Array;
}

export interface MathWindow {
  /** Start of the first period, ms. */
  start: number;
  /** Period of the window's grid, ms. */
  periodMs: number;
  /** Number of periods. */
  length: number;
}

export class MetricMathError extends Error {
  override readonly name = 'MetricMathError';
}

/** Functions CloudWatch evaluates from data it alone holds: refused with the reason. */
export const OFFLINE_UNSUPPORTED: Record<string, string> = {
  ANOMALY_DETECTION_BAND:
    'ANOMALY_DETECTION_BAND needs the anomaly detection model CloudWatch trains on two weeks of the metric, which cannot be reproduced offline',
  SEARCH: 'SEARCH looks metrics up in the account, which cannot be reproduced offline',
  INSIGHT_RULE_METRIC:
    'INSIGHT_RULE_METRIC reads Contributor Insights rules, which cannot be reproduced offline',
  SERVICE_QUOTA: 'SERVICE_QUOTA reads the account’s service quotas, which cannot be reproduced offline',
  LAMBDA: 'LAMBDA calls a Lambda function as a data source, which cannot be reproduced offline',
};

const missing = Number.NaN;
const present = (v: number) => !Number.isNaN(v);
/** Dropped when not finite: division by zero, LOG(0), SQRT(-1). */
const keep = (v: number) => (Number.isFinite(v) ? v : missing);

export interface MathContext {
  window: MathWindow;
  /** Metric queries (MetricStat), in the order of the alarm's Metrics array. */
  metrics: readonly MathMetricInput[];
  /** Value of another query by id (a metric or an already evaluated expression). */
  resolve: (id: string) => MathValue;
  /** Period in seconds of a metric query; undefined when the id is an expression. */
  periodOf: (id: string) => number | undefined;
}

function series(values: Float64Array): MathValue {
  return { kind: 'series', series: { values } };
}

function mapSeries(s: MathSeries, f: (v: number) => number): MathSeries {
  const out = new Float64Array(s.values.length);
  for (let i = 0; i < out.length; i++) {
    const v = s.values[i]!;
    out[i] = present(v) ? keep(f(v)) : missing;
  }
  return { values: out };
}

/** Element-wise over scalars, series and arrays of series. */
function mapValue(v: MathValue, f: (x: number) => number): MathValue {
  switch (v.kind) {
    case 'scalar':
      return { kind: 'scalar', value: keep(f(v.value)) };
    case 'series':
      return { kind: 'series', series: mapSeries(v.series, f) };
    case 'array':
      return { kind: 'array', series: v.series.map((s) => mapSeries(s, f)) };
  }
}

function combineSeries(a: MathSeries, b: MathSeries, f: (x: number, y: number) => number): MathSeries {
  const out = new Float64Array(a.values.length);
  for (let i = 0; i < out.length; i++) {
    const x = a.values[i]!;
    const y = b.values[i]!;
    if (!present(x) && !present(y)) out[i] = missing;
    // AWS: "Missing values in a time series are treated as 0."
    else out[i] = keep(f(present(x) ? x : 0, present(y) ? y : 0));
  }
  return { values: out };
}

function combineWithScalar(
  s: MathSeries,
  k: number,
  f: (x: number, y: number) => number,
  scalarLeft: boolean,
) {
  return mapSeries(s, (x) => (scalarLeft ? f(k, x) : f(x, k)));
}

function combine(a: MathValue, b: MathValue, f: (x: number, y: number) => number): MathValue {
  if (a.kind === 'scalar' && b.kind === 'scalar') return { kind: 'scalar', value: keep(f(a.value, b.value)) };
  if (a.kind === 'scalar' && b.kind === 'series')
    return { kind: 'series', series: combineWithScalar(b.series, a.value, f, true) };
  if (a.kind === 'series' && b.kind === 'scalar')
    return { kind: 'series', series: combineWithScalar(a.series, b.value, f, false) };
  if (a.kind === 'series' && b.kind === 'series')
    return { kind: 'series', series: combineSeries(a.series, b.series, f) };
  if (a.kind === 'array' && b.kind === 'array') {
    throw new MetricMathError('an operator between two arrays of time series is not supported by CloudWatch');
  }
  if (a.kind === 'array')
    return { kind: 'array', series: a.series.map((s) => asSeries(combine(series(s.values), b, f))) };
  if (b.kind === 'array')
    return { kind: 'array', series: b.series.map((s) => asSeries(combine(a, series(s.values), f))) };
  throw new MetricMathError('unsupported operand types');
}

function asSeries(v: MathValue): MathSeries {
  if (v.kind !== 'series') throw new MetricMathError(`expected a time series, got ${describeKind(v)}`);
  return v.series;
}

function describeKind(v: MathValue): string {
  return v.kind === 'scalar' ? 'a scalar' : v.kind === 'series' ? 'a time series' : 'an array of time series';
}

const bool = (b: boolean) => (b ? 1 : 0);

const BINARY: Record<string, (x: number, y: number) => number> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => x / y,
  '^': (x, y) => x ** y,
  '==': (x, y) => bool(x === y),
  '!=': (x, y) => bool(x !== y),
  '<=': (x, y) => bool(x <= y),
  '>=': (x, y) => bool(x >= y),
  '<': (x, y) => bool(x < y),
  '>': (x, y) => bool(x > y),
  AND: (x, y) => bool(x !== 0 && y !== 0),
  OR: (x, y) => bool(x !== 0 || y !== 0),
};

/** Scalar statistic over the datapoints of one series; NaN without any. */
function reduceSeries(name: string, s: MathSeries): number {
  const vs = [...s.values].filter(present);
  if (vs.length === 0) return missing;
  return reduceValues(name, vs);
}

function reduceValues(name: string, vs: readonly number[]): number {
  switch (name) {
    case 'SUM':
      return vs.reduce((a, b) => a + b, 0);
    case 'AVG':
      return vs.reduce((a, b) => a + b, 0) / vs.length;
    case 'MIN':
      return Math.min(...vs);
    case 'MAX':
      return Math.max(...vs);
    case 'STDDEV': {
      // Population standard deviation (AWS does not say which; this is CloudWatch's statistic-set style).
      const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
      return Math.sqrt(vs.reduce((a, b) => a + (b - mean) ** 2, 0) / vs.length);
    }
    default:
      throw new MetricMathError(`unknown statistic ${name}`);
  }
}

/** One series from an array: per period, over every series, missing values counted as 0. */
function reduceArray(name: string, arr: readonly MathSeries[], length: number): MathSeries {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const vs: number[] = [];
    let any = false;
    for (const s of arr) {
      const v = s.values[i]!;
      if (present(v)) any = true;
      vs.push(present(v) ? v : 0);
    }
    out[i] = any ? keep(reduceValues(name, vs)) : missing;
  }
  return { values: out };
}

/** DIFF, DIFF_TIME and RATE: each datapoint against the previous datapoint of the series. */
function againstPrevious(
  s: MathSeries,
  periodMs: number,
  f: (value: number, previous: number, seconds: number) => number,
): MathSeries {
  const out = new Float64Array(s.values.length).fill(missing);
  let prev = -1;
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i]!;
    if (!present(v)) continue;
    if (prev >= 0) out[i] = keep(f(v, s.values[prev]!, ((i - prev) * periodMs) / 1000));
    prev = i;
  }
  return { values: out };
}

function runningSum(s: MathSeries): MathSeries {
  const out = new Float64Array(s.values.length);
  let total = 0;
  for (let i = 0; i < out.length; i++) {
    const v = s.values[i]!;
    if (present(v)) {
      total += v;
      out[i] = total;
    } else out[i] = missing;
  }
  return { values: out };
}

/**
 * FILL: a scalar or a series (its value in the same period) replaces missing datapoints; REPEAT the
 * most recent datapoint before the gap; LINEAR interpolates between the datapoints on both sides of
 * the gap. A gap with no datapoint on the needed side (before it for REPEAT, either side for LINEAR)
 * stays missing: AWS does not say otherwise and nothing can be repeated or interpolated there.
 */
function fill(s: MathSeries, how: MathValue | 'REPEAT' | 'LINEAR'): MathSeries {
  const n = s.values.length;
  const out = Float64Array.from(s.values);
  if (how === 'REPEAT') {
    let last = missing;
    for (let i = 0; i < n; i++) {
      if (present(out[i]!)) last = out[i]!;
      else out[i] = last;
    }
    return { values: out };
  }
  if (how === 'LINEAR') {
    let prev = -1;
    for (let i = 0; i < n; i++) {
      if (!present(s.values[i]!)) continue;
      if (prev >= 0 && i - prev > 1) {
        const a = s.values[prev]!;
        const b = s.values[i]!;
        for (let j = prev + 1; j < i; j++) out[j] = a + ((b - a) * (j - prev)) / (i - prev);
      }
      prev = i;
    }
    return { values: out };
  }
  for (let i = 0; i < n; i++) {
    if (present(out[i]!)) continue;
    if (how.kind === 'scalar') out[i] = how.value;
    else if (how.kind === 'series') out[i] = how.series.values[i]!;
    else
      throw new MetricMathError(
        'FILL takes a scalar, a time series, REPEAT or LINEAR as its second argument',
      );
  }
  return { values: out };
}

function ifSeries(
  cond: MathValue,
  whenTrue: MathValue,
  whenFalse: MathValue | undefined,
  length: number,
): MathValue {
  if (cond.kind === 'scalar') {
    if (cond.value !== 0) return whenTrue;
    return whenFalse ?? series(new Float64Array(length).fill(missing));
  }
  if (cond.kind !== 'series')
    throw new MetricMathError('IF takes a scalar or a time series as its condition');
  for (const v of [whenTrue, whenFalse]) {
    if (v?.kind === 'array') throw new MetricMathError('IF cannot return an array of time series');
  }
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const c = cond.series.values[i]!;
    if (!present(c)) {
      out[i] = missing;
      continue;
    }
    const branch = c !== 0 ? whenTrue : whenFalse;
    if (branch === undefined) out[i] = missing;
    else if (branch.kind === 'scalar') out[i] = branch.value;
    else {
      const v = (branch as { series: MathSeries }).series.values[i]!;
      // AWS: a TRUE condition with no datapoint in the true series gives 0; a FALSE one with no
      // datapoint in the false series is dropped.
      out[i] = present(v) ? v : c !== 0 ? 0 : missing;
    }
  }
  return series(out);
}

const ELEMENTWISE: Record<string, (x: number) => number> = {
  ABS: Math.abs,
  CEIL: Math.ceil,
  FLOOR: Math.floor,
  LOG: Math.log,
  LOG10: Math.log10,
  SQRT: Math.sqrt,
};

const PER_SERIES: Record<string, (s: MathSeries, periodMs: number) => MathSeries> = {
  DIFF: (s, p) => againstPrevious(s, p, (v, prev) => v - prev),
  DIFF_TIME: (s, p) => againstPrevious(s, p, (_v, _prev, seconds) => seconds),
  RATE: (s, p) => againstPrevious(s, p, (v, prev, seconds) => (v - prev) / seconds),
  RUNNING_SUM: (s) => runningSum(s),
};

/** An upper-case word argument (`AVG`, `DESC`) that must be one of `allowed`. */
function keywordArg<T extends string>(node: MathNode, allowed: readonly T[], what: string): T {
  if (node.kind === 'keyword' && (allowed as readonly string[]).includes(node.name)) return node.name as T;
  throw new MetricMathError(what);
}

/** A scalar argument that must be a whole number ≥ 0 (a limit, an index). */
function countArg(value: MathValue, what: string): number {
  if (value.kind === 'scalar' && Number.isInteger(value.value) && value.value >= 0) return value.value;
  throw new MetricMathError(what);
}

/**
 * SORT: by the statistic of each series over the window (as AVG of a series), ties in the array's
 * order; a series without any datapoint has no statistic and goes last whatever the order (AWS does
 * not say where).
 */
function sortSeries(
  arr: readonly MathSeries[],
  by: 'AVG' | 'MIN' | 'MAX' | 'SUM',
  order: 'ASC' | 'DESC',
  limit: number,
): MathSeries[] {
  const keyed = arr.map((s, i) => ({ s, i, key: reduceSeries(by, s) }));
  keyed.sort((a, b) => {
    const aEmpty = Number.isNaN(a.key);
    const bEmpty = Number.isNaN(b.key);
    if (aEmpty || bEmpty) return aEmpty === bEmpty ? a.i - b.i : aEmpty ? 1 : -1;
    return (order === 'ASC' ? a.key - b.key : b.key - a.key) || a.i - b.i;
  });
  return keyed.slice(0, limit).map((k) => k.s);
}

function arity(name: string, args: readonly MathNode[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw new MetricMathError(`${name} takes ${want} argument${max === 1 ? '' : 's'}, got ${args.length}`);
  }
}

/** Evaluates one parsed expression in a context. Pure. */
export function evaluateMathNode(node: MathNode, ctx: MathContext): MathValue {
  const { length, periodMs } = ctx.window;
  const ev = (n: MathNode) => evaluateMathNode(n, ctx);
  switch (node.kind) {
    case 'number':
      return { kind: 'scalar', value: node.value };
    case 'string':
      throw new MetricMathError(`a string ("${node.value}") is only valid as the filter of METRICS()`);
    case 'keyword':
      throw new MetricMathError(
        `${node.name} is not a query id (ids start with a lower-case letter); bare upper-case words are REPEAT and LINEAR, arguments of FILL`,
      );
    case 'ref':
      return ctx.resolve(node.id);
    case 'array': {
      const items: MathSeries[] = [];
      for (const item of node.items) {
        const v = ev(item);
        if (v.kind === 'scalar') throw new MetricMathError('an array holds time series, not scalars');
        if (v.kind === 'series') items.push(v.series);
        else items.push(...v.series);
      }
      return { kind: 'array', series: items };
    }
    case 'negate':
      return mapValue(ev(node.arg), (x) => -x);
    case 'not':
      return mapValue(ev(node.arg), (x) => bool(x === 0));
    case 'binary':
      return combine(ev(node.left), ev(node.right), BINARY[node.op]!);
    case 'call':
      return evaluateCall(node.name, node.args, ctx, length, periodMs);
  }
}

function evaluateCall(
  name: string,
  args: readonly MathNode[],
  ctx: MathContext,
  length: number,
  periodMs: number,
): MathValue {
  const ev = (n: MathNode) => evaluateMathNode(n, ctx);
  const unsupported = OFFLINE_UNSUPPORTED[name];
  if (unsupported) throw new MetricMathError(unsupported);
  const elementwise = ELEMENTWISE[name];
  if (elementwise) {
    arity(name, args, 1);
    return mapValue(ev(args[0]!), elementwise);
  }
  const perSeries = PER_SERIES[name];
  if (perSeries) {
    arity(name, args, 1);
    const v = ev(args[0]!);
    if (v.kind === 'series') return { kind: 'series', series: perSeries(v.series, periodMs) };
    if (v.kind === 'array') return { kind: 'array', series: v.series.map((s) => perSeries(s, periodMs)) };
    throw new MetricMathError(`${name} takes a time series or an array of time series`);
  }
  switch (name) {
    case 'SUM':
    case 'AVG':
    case 'MIN':
    case 'MAX':
    case 'STDDEV': {
      arity(name, args, 1);
      const v = ev(args[0]!);
      if (v.kind === 'series') return { kind: 'scalar', value: reduceSeries(name, v.series) };
      if (v.kind === 'array') return { kind: 'series', series: reduceArray(name, v.series, length) };
      throw new MetricMathError(`${name} takes a time series or an array of time series`);
    }
    case 'DATAPOINT_COUNT': {
      arity(name, args, 1);
      const v = ev(args[0]!);
      if (v.kind === 'series') return { kind: 'scalar', value: [...v.series.values].filter(present).length };
      if (v.kind === 'array') {
        const out = new Float64Array(length);
        for (let i = 0; i < length; i++) {
          const count = v.series.filter((s) => present(s.values[i]!)).length;
          out[i] = count > 0 ? count : missing;
        }
        return series(out);
      }
      throw new MetricMathError('DATAPOINT_COUNT takes a time series or an array of time series');
    }
    case 'METRIC_COUNT': {
      arity(name, args, 1);
      const v = ev(args[0]!);
      if (v.kind !== 'array') throw new MetricMathError('METRIC_COUNT takes an array of time series');
      return { kind: 'scalar', value: v.series.length };
    }
    case 'METRICS': {
      arity(name, args, 0, 1);
      const filter = args[0];
      if (filter && filter.kind !== 'string')
        throw new MetricMathError('METRICS takes an optional string filter');
      // AWS: the metric queries (not expressions) whose Id contains the string.
      const chosen = ctx.metrics.filter((m) => !filter || m.id.includes(filter.value));
      return { kind: 'array', series: chosen.map((m) => ({ values: m.values })) };
    }
    case 'SORT': {
      arity(name, args, 3, 4);
      const v = ev(args[0]!);
      if (v.kind !== 'array') throw new MetricMathError('SORT takes an array of time series');
      const by = keywordArg(
        args[1]!,
        ['AVG', 'MIN', 'MAX', 'SUM'] as const,
        'SORT sorts by AVG, MIN, MAX or SUM',
      );
      const order = keywordArg(args[2]!, ['ASC', 'DESC'] as const, 'SORT takes ASC or DESC as its order');
      const limit = args[3]
        ? countArg(ev(args[3]), 'the limit of SORT is a whole number')
        : Number.POSITIVE_INFINITY;
      return { kind: 'array', series: sortSeries(v.series, by, order, limit) };
    }
    case 'SLICE': {
      arity(name, args, 2, 3);
      const v = ev(args[0]!);
      if (v.kind !== 'array') throw new MetricMathError('SLICE takes an array of time series');
      const from = countArg(ev(args[1]!), 'SLICE takes whole numbers ≥ 0 as its start and end');
      const to = args[2]
        ? countArg(ev(args[2]), 'SLICE takes whole numbers ≥ 0 as its start and end')
        : v.series.length;
      return { kind: 'array', series: v.series.slice(from, to) };
    }
    case 'FIRST':
    case 'LAST': {
      arity(name, args, 1);
      const v = ev(args[0]!);
      if (v.kind !== 'array') throw new MetricMathError(`${name} takes an array of time series`);
      const picked = name === 'FIRST' ? v.series[0] : v.series.at(-1);
      // Of an empty array: a series without datapoints.
      return series(picked ? picked.values : new Float64Array(length).fill(missing));
    }
    case 'REMOVE_EMPTY': {
      arity(name, args, 1);
      const v = ev(args[0]!);
      if (v.kind !== 'array') throw new MetricMathError('REMOVE_EMPTY takes an array of time series');
      return { kind: 'array', series: v.series.filter((s) => s.values.some(present)) };
    }
    case 'FILL': {
      arity(name, args, 2);
      const target = ev(args[0]!);
      const how = args[1]!;
      const filler: MathValue | 'REPEAT' | 'LINEAR' =
        how.kind === 'keyword'
          ? how.name === 'REPEAT' || how.name === 'LINEAR'
            ? how.name
            : (() => {
                throw new MetricMathError(
                  `FILL does not know ${how.name}; expected a value, REPEAT or LINEAR`,
                );
              })()
          : ev(how);
      if (target.kind === 'series') return { kind: 'series', series: fill(target.series, filler) };
      if (target.kind === 'array')
        return { kind: 'array', series: target.series.map((s) => fill(s, filler)) };
      throw new MetricMathError('FILL takes a time series or an array of time series');
    }
    case 'IF': {
      arity(name, args, 2, 3);
      return ifSeries(ev(args[0]!), ev(args[1]!), args[2] ? ev(args[2]) : undefined, length);
    }
    case 'PERIOD': {
      arity(name, args, 1);
      const arg = args[0]!;
      const period = arg.kind === 'ref' ? ctx.periodOf(arg.id) : undefined;
      if (period === undefined) {
        throw new MetricMathError('PERIOD takes the id of a metric (not of an expression or a value)');
      }
      return { kind: 'scalar', value: period };
    }
    case 'TIME_SERIES': {
      arity(name, args, 1);
      const v = ev(args[0]!);
      if (v.kind !== 'scalar') throw new MetricMathError('TIME_SERIES takes a scalar');
      return series(new Float64Array(length).fill(keep(v.value)));
    }
    default:
      throw new MetricMathError(
        `${name} is not a metric math function opsproof evaluates (supported: ${SUPPORTED_FUNCTIONS.join(', ')})`,
      );
  }
}

export const SUPPORTED_FUNCTIONS = [
  'ABS',
  'AVG',
  'CEIL',
  'DATAPOINT_COUNT',
  'DIFF',
  'DIFF_TIME',
  'FILL',
  'FIRST',
  'FLOOR',
  'IF',
  'LAST',
  'LOG',
  'LOG10',
  'MAX',
  'METRIC_COUNT',
  'METRICS',
  'MIN',
  'PERIOD',
  'RATE',
  'REMOVE_EMPTY',
  'RUNNING_SUM',
  'SLICE',
  'SORT',
  'SQRT',
  'STDDEV',
  'SUM',
  'TIME_SERIES',
];
