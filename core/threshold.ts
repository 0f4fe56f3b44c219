/**
 * KPI thresholds in k6's syntax: `p(95)<300`, `avg<200`, `rate<0.01`, `rps>100`. Latencies are in
 * milliseconds, `rate` is the error rate (0..1), `rps` the throughput. Parsing is pure; evaluating
 * against measurements lives with the load engine's KPIs.
 */

export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type ThresholdAggregate =
  | { kind: 'percentile'; p: number }
  | { kind: 'avg' | 'min' | 'max' | 'med' | 'rate' | 'rps' | 'count' };

export interface Threshold {
  /** The expression as written, whitespace removed. */
  source: string;
  aggregate: ThresholdAggregate;
  operator: ThresholdOperator;
  value: number;
}

export type ThresholdParse = { ok: true; threshold: Threshold } | { ok: false; error: string };

/** The accepted KPI syntax: the one hint every message about a bad KPI gives (`--kpi`, config, load). */
export const KPI_SYNTAX_HINT =
  "a KPI is a k6-style threshold AGG OP NUMBER, e.g. 'p(95)<300', 'rate<0.01', 'rps>100' " +
  '(AGG: p(N), avg, min, max, med, rate, rps, count; OP: <, <=, >, >=, ==, !=)';

const PATTERN =
  /^(p\((\d{1,2}(?:\.\d+)?|100)\)|avg|min|max|med|rate|rps|count)(<=|>=|==|!=|<|>)(-?\d+(?:\.\d+)?)$/;

export function parseThreshold(input: string): ThresholdParse {
  const source = input.replace(/\s+/g, '');
  const match = PATTERN.exec(source);
  if (!match) {
    return {
      ok: false,
      error: `"${input}" is not a threshold`,
    };
  }
  const [, agg, p, operator, value] = match;
  const aggregate: ThresholdAggregate =
    p !== undefined ? { kind: 'percentile', p: Number(p) } : { kind: agg as 'avg' };
  const number = Number(value);
  if (aggregate.kind === 'rate' && (number < 0 || number > 1)) {
    return { ok: false, error: `"${input}": rate is a fraction between 0 and 1` };
  }
  if (number < 0) return { ok: false, error: `"${input}": the limit must not be negative` };
  return {
    ok: true,
    threshold: { source, aggregate, operator: operator as ThresholdOperator, value: number },
  };
}

/**
 * A threshold built from its parts, as `parseThreshold` would return it for the same expression
 * (the config's `kpis: { p99: 1000 }` → `p(99)<1000`), with no string in between.
 */
export function buildThreshold(
  aggregate: ThresholdAggregate,
  operator: ThresholdOperator,
  value: number,
): Threshold {
  const name = aggregate.kind === 'percentile' ? `p(${aggregate.p})` : aggregate.kind;
  return { source: `${name}${operator}${value}`, aggregate, operator, value };
}

/** Whether `measured` satisfies the threshold. */
export function holds(threshold: Pick<Threshold, 'operator' | 'value'>, measured: number): boolean {
  const { operator, value } = threshold;
  switch (operator) {
    case '<':
      return measured < value;
    case '<=':
      return measured <= value;
    case '>':
      return measured > value;
    case '>=':
      return measured >= value;
    case '==':
      return measured === value;
    case '!=':
      return measured !== value;
  }
}

/**
 * A fraction as people read a rate: `0.0042` → `0.42 %`, `0.05` → `5 %`. Two decimals, more only
 * where two would round a non-zero rate to nothing.
 */
export function formatPercent(fraction: number): string {
  const percent = fraction * 100;
  let digits = 2;
  while (percent !== 0 && digits < 8 && Number(percent.toFixed(digits)) === 0) digits++;
  return `${Number(percent.toFixed(digits))} %`;
}

const OPERATOR_SIGN: Record<ThresholdOperator, string> = {
  '<': '<',
  '<=': '≤',
  '>': '>',
  '>=': '≥',
  '==': '=',
  '!=': '≠',
};

/** The limit a threshold sets, as people read it: `rate<=0.05` → `≤ 5 %`, `p(99)<800` → `< 800`. */
export function formatLimit(threshold: Pick<Threshold, 'aggregate' | 'operator' | 'value'>): string {
  const value =
    threshold.aggregate.kind === 'rate' ? formatPercent(threshold.value) : String(threshold.value);
  return `${OPERATOR_SIGN[threshold.operator]} ${value}`;
}
