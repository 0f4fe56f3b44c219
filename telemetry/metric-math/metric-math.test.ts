import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { MetricDataQuery } from '../../core/schema.ts';
import { compileMetricQueries, evaluateMetricQueries, MetricQueriesError } from './compile-metric-queries.ts';
import { buildMathDatapoints } from './evaluate-math-alarm.ts';
import { evaluateMathNode, type MathMetricInput, MetricMathError } from './evaluate-metric-math.ts';
import { parseMetricMath } from './parse-metric-math.ts';

type Cell = number | '-';

/** Evaluates `expression` (ReturnData) over metric queries given as value lists, `-` = no datapoint. */
function run(
  expression: string,
  metrics: Readonly<Record<string, readonly Cell[]>>,
  periodSeconds = 60,
): Cell[] {
  const queries: MetricDataQuery[] = Object.keys(metrics).map((id) => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'T', MetricName: id }, Period: periodSeconds, Stat: 'Sum' },
    ReturnData: false,
  }));
  queries.push({ Id: 'result', Expression: expression, ReturnData: true });
  const compiled = compileMetricQueries(queries);
  const length = Math.max(...Object.values(metrics).map((v) => v.length));
  const values = new Map(
    Object.entries(metrics).map(([id, cells]) => [
      id,
      Float64Array.from(cells, (c) => (c === '-' ? Number.NaN : c)),
    ]),
  );
  const out = evaluateMetricQueries(compiled, { start: 0, periodMs: periodSeconds * 1000, length }, values);
  return [...out].map((v) => (Number.isNaN(v) ? '-' : Math.round(v * 1e9) / 1e9));
}

/**
 * Evaluates any expression (a series, or an array of series as METRICS() gives) over metric queries
 * given as value lists, without the one-series rule of an alarm's ReturnData query.
 */
function runAny(expression: string, metrics: Readonly<Record<string, readonly Cell[]>>): Cell[][] {
  const length = Math.max(...Object.values(metrics).map((v) => v.length));
  const inputs: MathMetricInput[] = Object.entries(metrics).map(([id, cells]) => ({
    id,
    period: 60,
    values: Float64Array.from(cells, (c) => (c === '-' ? Number.NaN : c)),
  }));
  const value = evaluateMathNode(parseMetricMath(expression), {
    window: { start: 0, periodMs: 60_000, length },
    metrics: inputs,
    resolve: (id) => ({ kind: 'series', series: { values: inputs.find((m) => m.id === id)!.values } }),
    periodOf: (id) => inputs.find((m) => m.id === id)?.period,
  });
  if (value.kind === 'scalar') throw new Error(`${expression} gives a scalar`);
  const list = value.kind === 'array' ? value.series : [value.series];
  return list.map((s) => [...s.values].map((v) => (Number.isNaN(v) ? '-' : Math.round(v * 1e9) / 1e9)));
}

// The worked examples of the CloudWatch User Guide, "Metric math syntax and functions" (comparison
// and logical operators) and "Using IF expressions": same inputs, same outputs.
describe("AWS's documented examples", () => {
  const metric1: Cell[] = [30, 20, 0, 0];
  const metric2: Cell[] = [20, '-', 20, '-'];
  test.each([
    ['(metric1 < metric2)', [0, 0, 1, 0]],
    ['(metric1 >= 30)', [1, 0, 0, 0]],
    ['(metric1 > 15 AND metric2 > 15)', [1, 0, 0, 0]],
    ['(metric1 > 15 && metric2 > 15)', [1, 0, 0, 0]],
  ] as const)('comparison and logical operators: %s', (expression, output) => {
    expect(run(expression, { metric1, metric2 })).toEqual(output);
  });

  const ifInputs = {
    metric1: [1, 1, 0, 0, '-'] as Cell[],
    metric2: [30, '-', 0, 0, 30] as Cell[],
    metric3: [0, 0, 20, '-', 20] as Cell[],
  };
  test.each([
    ['IF(metric1, metric2, metric3)', [30, 0, 20, '-', '-']],
    ['IF(metric1, 5, metric3)', [5, 5, 20, '-', '-']],
    ['IF(metric1, metric2, 5)', [30, 0, 5, 5, '-']],
    // IF(metric1, metric2) drops every FALSE datapoint.
    ['IF(metric1, metric2)', [30, 0, '-', '-', '-']],
    // IF(scalar, metric2, metric3): the whole series of one branch.
    ['IF(1, metric2, metric3)', [30, '-', 0, 0, 30]],
    ['IF(0, metric2, metric3)', [0, 0, 20, '-', 20]],
    ['IF(0, metric2)', ['-', '-', '-', '-', '-']],
  ] as const)('IF: %s', (expression, output) => {
    expect(run(expression, ifInputs)).toEqual(output);
  });

  // The function table of the same page lists example expressions without values: every one of
  // them (and the IF use cases) runs here on inputs chosen for it, each output derived by hand from
  // the page's rules — missing values count as 0 between series and in AVG/SUM/MIN/MAX/STDDEV of an
  // array, division by zero drops the datapoint, RATE/DIFF_TIME use the gap to the previous datapoint.
  const sortInputs = { a: [1, 3], b: [150, '-'], c: [5, 7] } as const;
  test.each([
    // Arithmetic and unary subtraction.
    ['-5*m1', { m1: [1, '-', 3] }, [[-5, '-', -15]]],
    [
      'METRICS()*100',
      { m1: [1, 2], m2: [3, '-'] },
      [
        [100, 200],
        [300, '-'],
      ],
    ],
    // ABS, AVG, CEIL, DATAPOINT_COUNT, DIFF_TIME.
    [
      'ABS(METRICS())',
      { m1: [-1, 2], m2: [-3, '-'] },
      [
        [1, 2],
        [3, '-'],
      ],
    ],
    // SUM([m1,m2]) = 4, 2, 8; AVG(m2) = (3 + 5) / 2 = 4.
    ['SUM([m1,m2])/AVG(m2)', { m1: [1, 2, 3], m2: [3, '-', 5] }, [[1, 0.5, 2]]],
    [
      'CEIL(METRICS())',
      { m1: [1.2, -1.2], m2: [0.5, '-'] },
      [
        [2, -1],
        [1, '-'],
      ],
    ],
    // 2 + 1 and -1 + 0 (m2 missing).
    ['SUM(CEIL(METRICS()))', { m1: [1.2, -1.2], m2: [0.5, '-'] }, [[3, -1]]],
    ['DATAPOINT_COUNT(METRICS())', { m1: [1, '-'], m2: [2, 5] }, [[2, 1]]],
    // m1: 3 is 120 s after 1; m2: 60 s between each.
    [
      'DIFF_TIME(METRICS())',
      { m1: [1, '-', 3], m2: [1, 2, 3] },
      [
        ['-', '-', 120],
        ['-', 60, 60],
      ],
    ],
    // FILL over arrays: a value, another series (m1 fills m2's gap where m1 has a datapoint), LINEAR.
    [
      'FILL(METRICS(), 0)',
      { m1: ['-', 1], m2: [2, '-'] },
      [
        [0, 1],
        [2, 0],
      ],
    ],
    [
      'FILL(METRICS(), m1)',
      { m1: ['-', 1, '-'], m2: [2, '-', '-'] },
      [
        ['-', 1, '-'],
        [2, 1, '-'],
      ],
    ],
    [
      'FILL(METRICS(), LINEAR)',
      { m1: [1, '-', 3, '-'], m2: [4, '-', '-', 10] },
      [
        [1, 2, 3, '-'],
        [4, 6, 8, 10],
      ],
    ],
    [
      'FLOOR(METRICS())',
      { m1: [1.8, -1.2], m2: [2, '-'] },
      [
        [1, -2],
        [2, '-'],
      ],
    ],
    // LOG(0) is -Infinity: dropped.
    [
      'LOG(METRICS())',
      { m1: [1, 0], m2: ['-', 1] },
      [
        [0, '-'],
        ['-', 0],
      ],
    ],
    // MAX/MIN/STDDEV of an array, per period with m2's gap as 0: MIN(5, 0) = 0; STDDEV(1, 3) = 1,
    // STDDEV(4, 0) = 2.
    ['MAX(METRICS())', { m1: [1, 5], m2: [3, '-'] }, [[3, 5]]],
    ['MIN(METRICS())', { m1: [1, 5], m2: [3, '-'] }, [[1, 0]]],
    ['STDDEV(METRICS())', { m1: [1, 4], m2: [3, '-'] }, [[1, 2]]],
    ['m1/PERIOD(m1)', { m1: [60, 120] }, [[1, 2]]],
    // m1: 60 in 60 s; m2: 240 in the 120 s since its previous datapoint.
    [
      'RATE(METRICS())',
      { m1: [0, 60, '-'], m2: [0, '-', 240] },
      [
        ['-', 1, '-'],
        ['-', '-', 2],
      ],
    ],
    [
      'RUNNING_SUM([m1,m2])',
      { m1: [1, 2, '-'], m2: [1, '-', 3] },
      [
        [1, 3, '-'],
        [1, '-', 4],
      ],
    ],
    ['SUM([m1,m2])', { m1: [1, '-'], m2: [2, 3] }, [[3, 3]]],
    // errors: 1 + 1 = 2 and 2 + 0 = 2 over 100 and 50 requests.
    [
      'SUM(METRICS("errors"))/SUM(METRICS("requests"))*100',
      { errors4xx: [1, 2], errors5xx: [1, '-'], requests: [100, 50] },
      [[2, 4]],
    ],
    // MAX(m1) = 3; 5 * AVG(m1) = 5 * 2; every period filled, whatever m1 holds there.
    ['TIME_SERIES(MAX(m1))', { m1: [1, '-', 3] }, [[3, 3, 3]]],
    ['TIME_SERIES(5*AVG(m1))', { m1: [1, '-', 3] }, [[10, 10, 10]]],
    ['TIME_SERIES(10)', { m1: ['-', '-'] }, [[10, 10]]],
    // "Use case examples for IF expressions". A missing condition datapoint drops the period; in
    // the last one, latency's gap counts as 0 against the threshold: 0 > 10 is FALSE → 0.
    ['IF(metric1<400, metric1)', { metric1: [100, 500, '-'] }, [[100, '-', '-']]],
    ['IF(metric1<400, 10, 2)', { metric1: [100, 500, '-'] }, [[10, 2, '-']]],
    ['IF(latency>threshold, 1, 0)', { latency: [5, 20, '-'], threshold: [10, 10, 10] }, [[0, 1, 0]]],
    // SORT, SLICE, FIRST over a = [1, 3] (AVG 2, MAX 3, SUM 4), b = [150, -] (150, 150, 150),
    // c = [5, 7] (6, 7, 12).
    [
      'SORT(METRICS(), AVG, DESC, 10)',
      sortInputs,
      [
        [150, '-'],
        [5, 7],
        [1, 3],
      ],
    ],
    [
      'SORT(METRICS(), MAX, ASC)',
      sortInputs,
      [
        [1, 3],
        [5, 7],
        [150, '-'],
      ],
    ],
    [
      'SLICE(SORT(METRICS(), SUM, DESC), 0, 10)',
      sortInputs,
      [
        [150, '-'],
        [5, 7],
        [1, 3],
      ],
    ],
    // Every series but the 5 lowest: none of the 3; from index 1: all but a.
    ['SLICE(SORT(METRICS(), AVG, ASC), 5)', sortInputs, []],
    [
      'SLICE(SORT(METRICS(), AVG, ASC), 1)',
      sortInputs,
      [
        [5, 7],
        [150, '-'],
      ],
    ],
    // The top series by AVG is b: 150 > 100 → 1; its missing datapoint drops the second period.
    ['IF(FIRST(SORT(METRICS(), AVG, DESC))>100, 1, 0)', sortInputs, [[1, '-']]],
    ['LAST(SORT(METRICS(), AVG, DESC))', sortInputs, [[1, 3]]],
    // Chosen where AWS is silent: ties keep the array's order, a series without datapoints goes last.
    [
      'SORT(METRICS(), AVG, ASC)',
      { a: [2, 2], b: ['-', '-'], c: [1, 3] },
      [
        [2, 2],
        [1, 3],
        ['-', '-'],
      ],
    ],
    [
      'SORT(METRICS(), AVG, DESC)',
      { a: [2, 2], b: ['-', '-'], c: [1, 3] },
      [
        [2, 2],
        [1, 3],
        ['-', '-'],
      ],
    ],
  ] as const)('function table example %s', (expression, metrics, output) => {
    expect(runAny(expression, metrics)).toEqual(output);
  });

  test.each([
    ['IF(DAY(m1)<6,m1)', /DAY is not a metric math function opsproof evaluates/],
    ['IF(MONTH(m1) == 4,m1)', /MONTH is not a metric math function opsproof evaluates/],
    ['ANOMALY_DETECTION_BAND(m1,4)', /ANOMALY_DETECTION_BAND needs the anomaly detection model/],
    ['LAST(ANOMALY_DETECTION_BAND(m1))', /ANOMALY_DETECTION_BAND needs the anomaly detection model/],
    ['SORT(METRICS(), MEDIAN, ASC)', /SORT sorts by AVG, MIN, MAX or SUM/],
    ['SORT(METRICS(), AVG, UP)', /SORT takes ASC or DESC as its order/],
    ['SLICE(METRICS(), 0.5)', /SLICE takes whole numbers ≥ 0/],
    ['FIRST(m1)', /FIRST takes an array of time series/],
  ])('function table example %s is refused by name', (expression, message) => {
    expect(() => runAny(expression, { m1: [1, 2], m2: [3, 4] })).toThrow(message);
  });

  test.each([
    // "Missing values in a time series are treated as 0"; dividing by zero drops the datapoint.
    ['m1 - m2', { m1: [5, 5, '-'], m2: [1, '-', '-'] }, [4, 5, '-']],
    ['m1 / m2', { m1: [5, 5, 0], m2: [2, 0, '-'] }, [2.5, '-', '-']],
    ['m1 / 0', { m1: [5, '-'] }, ['-', '-']],
    ['5 * m1', { m1: [1, '-', 3] }, [5, '-', 15]],
    ['-m1', { m1: [1, -2] }, [-1, 2]],
    ['PERIOD(m1)/60 + m1', { m1: [1, 2] }, [2, 3]],
    ['m1 ^ 2', { m1: [3, -2] }, [9, 4]],
    ['2 ^ 3 ^ 2 + m1 * 0', { m1: [0] }, [512]],
    ['SUM(100/[m1, m2])', { m1: [50, 25], m2: [100, 0] }, [3, 4]],
    ['AVG([m1,m2]/m3)', { m1: [2, 4], m2: [4, '-'], m3: [2, 2] }, [1.5, 1]],
    ['SUM(METRICS()*100)', { m1: [1, 2] }, [100, 200]],
    ['SUM(-[m1, m2])', { m1: [1, 2], m2: [3, '-'] }, [-4, -2]],
    ['m1 - AVG(m1)', { m1: [1, 2, 3, '-'] }, [-1, 0, 1, '-']],
    ['MAX(m1)/m1', { m1: [1, 2, 4] }, [4, 2, 1]],
    ['m1 - MIN(m1)', { m1: [3, 5] }, [0, 2]],
    ['m1/STDDEV(m1)', { m1: [2, 4, 4, 4, 5, 5, 7, 9] }, [1, 2, 2, 2, 2.5, 2.5, 3.5, 4.5]],
    ['SUM(METRICS())/SUM(m1)', { m1: [1, 3], m2: [4, '-'] }, [1.25, 0.75]],
    ['ABS(m1-m2)', { m1: [1, 5], m2: [3, 2] }, [2, 3]],
    ['MIN(ABS([m1, m2]))', { m1: [-1, 5], m2: [3, -2] }, [1, 2]],
    ['CEIL(m1)', { m1: [1.2, -1.2] }, [2, -1]],
    ['FLOOR(m1)', { m1: [1.8, -1.2] }, [1, -2]],
    ['LOG(m1)', { m1: [1, 0, '-'] }, [0, '-', '-']],
    ['LOG10(m1)', { m1: [100, 1000] }, [2, 3]],
    ['SQRT(m1)', { m1: [9, -1] }, [3, '-']],
    ['DIFF(m1)', { m1: [1, 4, '-', 10] }, ['-', 3, '-', 6]],
    ['DIFF_TIME(m1)', { m1: [1, 4, '-', 10] }, ['-', 60, '-', 120]],
    ['RATE(m1)', { m1: [0, 60, '-', 300] }, ['-', 1, '-', 2]],
    ['RUNNING_SUM(m1)', { m1: [1, '-', 2, 3] }, [1, '-', 3, 6]],
    ['SUM(RUNNING_SUM([m1,m2]))', { m1: [1, 2], m2: [1, 1] }, [2, 5]],
    ['FILL(m1, 10)', { m1: ['-', 1, '-'] }, [10, 1, 10]],
    ['FILL(m1, m2)', { m1: ['-', 1, '-'], m2: [5, 6, '-'] }, [5, 1, '-']],
    ['FILL(m1, MIN(m1))', { m1: [3, '-', 2] }, [3, 2, 2]],
    ['FILL(m1, REPEAT)', { m1: ['-', 1, '-', '-', 4, '-'] }, ['-', 1, 1, 1, 4, 4]],
    ['FILL(m1, LINEAR)', { m1: ['-', 1, '-', '-', 4, '-'] }, ['-', 1, 2, 3, 4, '-']],
    ['SUM(FILL(METRICS(), 0))', { m1: ['-', 1], m2: ['-', 2] }, [0, 3]],
    ['SUM(METRICS("errors"))', { errors4xx: [1, 2], errors5xx: [3, '-'], requests: [100, 100] }, [4, 2]],
    ['SUM([METRICS("4xx"), METRICS("5xx")])', { e4xx: [1, 2], e5xx: [3, 4], ok: [9, 9] }, [4, 6]],
    ['AVG(REMOVE_EMPTY(METRICS()))', { m1: [2, 4], m2: ['-', '-'] }, [2, 4]],
    ['AVG(METRICS())', { m1: [2, 4], m2: ['-', 2] }, [1, 3]],
    ['m1 / METRIC_COUNT(METRICS())', { m1: [2, 4], m2: [0, 0] }, [1, 2]],
    ['SUM(m1) / DATAPOINT_COUNT(m1) + m1 * 0', { m1: [2, '-', 4] }, [3, '-', 3]],
    ['TIME_SERIES(5)', { m1: ['-', '-'] }, [5, 5]],
    ['NOT (m1 > 1) || !m2', { m1: [0, 5, 5], m2: [1, 1, 0] }, [1, 0, 1]],
    ['m1 != 1 OR m1 == 3', { m1: [1, 2, 3] }, [0, 1, 1]],
    // As an alarm's ReturnData: FIRST gives one series (m2, AVG 150, is first).
    ['IF(FIRST(SORT(METRICS(), AVG, DESC))>100, 1, 0)', { m1: [1, 3], m2: [150, '-'] }, [1, '-']],
  ] as const)('%s', (expression, metrics, output) => {
    expect(run(expression, metrics)).toEqual(output);
  });
});

describe('the error-rate alarm of the CloudWatch alarm guide', () => {
  // The guide's error rate ("divide the Errors metric by the Invocations metric", "Using metric
  // math"; the alarm itself from "Create a CloudWatch alarm based on a metric math expression", which
  // gives the steps but no values): errors / requests * 100, with the division guarded as CDK's
  // MathExpression users write it and unguarded. Values derived by hand from the page's rules.
  test.each([
    [
      'IF(requests > 0, errors / requests * 100, 0)',
      { errors: [0, 5, '-', 1], requests: [100, 50, 0, '-'] },
      [0, 10, 0, '-'],
    ],
    ['100 * errors / requests', { errors: [0, 5, '-', 1], requests: [100, 50, 0, '-'] }, [0, 10, '-', '-']],
  ] as const)('%s', (expression, metrics, output) => {
    expect(run(expression, metrics)).toEqual(output);
  });
});

describe('parsing', () => {
  test.each([
    ['m1+m2*3', { kind: 'binary', op: '+' }],
    ['(m1 + m2) * 3', { kind: 'binary', op: '*' }],
    ['-5*m1', { kind: 'binary', op: '*' }],
    ['a > 1 AND b < 2 OR c', { kind: 'binary', op: 'OR' }],
    ['SUM([METRICS(“4xx”), METRICS(“5xx”)])', { kind: 'call', name: 'SUM' }],
    ['FILL(m1, REPEAT)', { kind: 'call', name: 'FILL' }],
    ['1.5e3', { kind: 'number', value: 1500 }],
  ])('%s', (text, shape) => {
    expect(parseMetricMath(text)).toMatchObject(shape);
  });

  test.each(['m1 +', 'SUM(m1', 'm1 ** 2', '[m1, ]', 'm1 > > 2'])(
    '"%s" is refused with its position',
    (text) => {
      expect(() => parseMetricMath(text)).toThrow(/cannot parse/);
    },
  );
});

describe('queries as an alarm takes them', () => {
  const metric = (id: string, period = 60, returnData = false): MetricDataQuery => ({
    Id: id,
    MetricStat: { Metric: { Namespace: 'T', MetricName: id }, Period: period, Stat: 'Sum' },
    ReturnData: returnData,
  });
  test.each([
    [
      [metric('m1'), metric('m2'), { Id: 'e1', Expression: 'm1+m2' }, { Id: 'e2', Expression: 'e1*2' }],
      /exactly one query must have ReturnData: true, found 2/,
    ],
    [
      [metric('m1'), { Id: 'e1', Expression: 'm1', ReturnData: false }],
      /exactly one query must have ReturnData: true, found 0/,
    ],
    [
      [metric('m1'), metric('m2', 300), { Id: 'e1', Expression: 'm1+m2' }],
      /must share one period, found 60 and 300 s/,
    ],
    [
      [metric('m1'), { Id: 'e1', Expression: 'ANOMALY_DETECTION_BAND(m1, 2)' }],
      /ANOMALY_DETECTION_BAND needs the anomaly detection model/,
    ],
    [
      [
        metric('m1'),
        { Id: 'e1', Expression: "SEARCH('{AWS/EC2,InstanceId} CPUUtilization', 'Average', 300)" },
      ],
      /cannot parse|SEARCH/,
    ],
    [
      [metric('m1'), { Id: 'e1', Expression: 'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2")' }],
      /Metrics Insights query/,
    ],
    [[metric('m1'), { Id: 'e1', Expression: 'm1 + m9' }], /uses "m9", which no query has as its Id/],
    [
      [
        metric('m1'),
        { Id: 'e1', Expression: 'e2 + m1', ReturnData: false },
        { Id: 'e2', Expression: 'e1 * 2' },
      ],
      /cycle: e2 → e1 → e2|cycle: e1 → e2 → e1/,
    ],
    [
      [metric('m1'), metric('m2'), { Id: 'e1', Expression: 'METRICS()' }],
      /must give one time series, it gives an array/,
    ],
    [[metric('m1'), { Id: 'e1', Expression: 'AVG(m1)' }], /must give one time series, it gives a scalar/],
    [
      [metric('m1'), { Id: 'e1', Expression: 'METRICS()*100' }],
      /must give one time series, it gives an array/,
    ],
    [[metric('m1'), { Id: 'e1', Expression: 'M1 + 1' }], /M1 is not a query id/],
    [
      [metric('m1'), { Id: 'e1', Expression: 'MINUTE(m1)' }],
      /MINUTE is not a metric math function opsproof evaluates/,
    ],
    [
      [
        metric('m1'),
        { Id: 'e1', Expression: 'm1', ReturnData: false },
        { Id: 'e2', Expression: 'PERIOD(e1) + m1' },
      ],
      /PERIOD takes the id of a metric/,
    ],
  ] as const)('%#: refused', (queries, message) => {
    expect(() => compileMetricQueries(queries as unknown as MetricDataQuery[])).toThrow(message);
    expect(() => compileMetricQueries(queries as unknown as MetricDataQuery[])).toThrow(MetricQueriesError);
  });

  test('expressions over expressions, in dependency order whatever the array order', () => {
    const compiled = compileMetricQueries([
      { Id: 'rate', Expression: 'IF(total > 0, errs / total, 0)', ReturnData: true },
      { Id: 'errs', Expression: 'SUM(METRICS("err"))', ReturnData: false },
      metric('err1'),
      metric('err2'),
      { Id: 'total', Expression: 'requests + 0', ReturnData: false },
      metric('requests'),
    ]);
    expect(compiled.expressions.map((e) => e.id)).toEqual(['total', 'errs', 'rate']);
    const points = buildMathDatapoints(compiled, 3, {
      now: 300_000,
      datapoints: new Map([
        [
          'err1',
          new Map([
            [0, 1],
            [60_000, 2],
          ]),
        ],
        ['err2', new Map([[60_000, 2]])],
        [
          'requests',
          new Map([
            [0, 10],
            [60_000, 8],
            [120_000, 0],
          ]),
        ],
      ]),
    });
    // Five periods before 5m: 0m 1/10, 1m 4/8, 2m no traffic → 0, 3m and 4m nothing at all.
    expect(points.map((p) => [p.start / 60_000, p.value])).toEqual([
      [0, 0.1],
      [1, 0.5],
      [2, 0],
    ]);
  });
});

describe('any expression text', () => {
  // Tokens of the language and a few that are not, glued at random: every result is a parsed and
  // evaluated series or one of the two typed errors — never a crash, never a non-finite datapoint.
  const token = fc.constantFrom(
    'm1',
    'm2',
    'e1',
    '1',
    '0',
    '2.5',
    '-',
    '+',
    '*',
    '/',
    '^',
    '(',
    ')',
    '[',
    ']',
    ',',
    '>',
    '<=',
    '==',
    '!',
    'AND',
    'OR',
    'NOT',
    '&&',
    '||',
    'IF(',
    'FILL(',
    'REPEAT',
    'LINEAR',
    'SUM(',
    'AVG(',
    'RATE(',
    'METRICS()',
    'METRICS("m")',
    'PERIOD(',
    'DIFF(',
    'SQRT(',
    'LOG(',
    'SEARCH(',
    '"x"',
    'X',
    '@',
    ' ',
  );
  test('parses to an expression or refuses it with a typed error (1000 generated)', () => {
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 14 }), (tokens) => {
        const expression = tokens.join('');
        const queries: MetricDataQuery[] = [
          {
            Id: 'm1',
            MetricStat: { Metric: { Namespace: 'T', MetricName: 'a' }, Period: 60, Stat: 'Sum' },
            ReturnData: false,
          },
          {
            Id: 'm2',
            MetricStat: { Metric: { Namespace: 'T', MetricName: 'b' }, Period: 60, Stat: 'Sum' },
            ReturnData: false,
          },
          { Id: 'e1', Expression: expression, ReturnData: true },
        ];
        try {
          const compiled = compileMetricQueries(queries);
          const values = new Map([
            ['m1', Float64Array.from([1, Number.NaN, 0, -3, 5])],
            ['m2', Float64Array.from([0, 2, Number.NaN, 4, 0])],
          ]);
          const out = evaluateMetricQueries(compiled, { start: 0, periodMs: 60_000, length: 5 }, values);
          for (const v of out) expect(Number.isNaN(v) || Number.isFinite(v)).toBe(true);
        } catch (error) {
          if (!(error instanceof MetricQueriesError) && !(error instanceof MetricMathError)) throw error;
        }
      }),
      { numRuns: 1000, seed: 17 },
    );
  });

  test('well-formed expressions over series evaluate to finite datapoints or dropped ones (500 generated)', () => {
    const { expr } = fc.letrec<{ expr: string }>((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('m1', 'm2', 'e0'),
        fc.constantFrom('0', '1', '-2', '0.5', '1e3'),
        fc
          .tuple(
            tie('expr'),
            fc.constantFrom('+', '-', '*', '/', '^', '>', '<=', '==', '!=', 'AND', 'OR'),
            tie('expr'),
          )
          .map(([l, op, r]) => `(${l} ${op} ${r})`),
        tie('expr').map((e) => `-(${e})`),
        tie('expr').map((e) => `NOT (${e})`),
        fc
          .tuple(
            fc.constantFrom(
              'ABS',
              'CEIL',
              'FLOOR',
              'LOG',
              'LOG10',
              'SQRT',
              'DIFF',
              'DIFF_TIME',
              'RATE',
              'RUNNING_SUM',
            ),
            tie('expr'),
          )
          .map(([f, e]) => `${f}(${e})`),
        fc
          .tuple(tie('expr'), fc.constantFrom('0', 'REPEAT', 'LINEAR', 'm2'))
          .map(([e, how]) => `FILL(${e}, ${how})`),
        fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([c, t, f]) => `IF(${c}, ${t}, ${f})`),
        fc
          .tuple(fc.constantFrom('SUM', 'AVG', 'MIN', 'MAX', 'STDDEV'), tie('expr'), tie('expr'))
          .map(([f, a, b]) => `${f}([${a}, ${b}])`),
        fc.constantFrom(
          'SUM(METRICS())',
          'AVG(FILL(METRICS(), 0))',
          'MAX(REMOVE_EMPTY(METRICS("m")))',
          'm1 / PERIOD(m1)',
          'm2 - AVG(m2)',
        ),
      ),
    }));
    let evaluated = 0;
    fc.assert(
      fc.property(expr, (expression) => {
        const compiled = (() => {
          try {
            return compileMetricQueries([
              {
                Id: 'm1',
                MetricStat: { Metric: { Namespace: 'T', MetricName: 'a' }, Period: 60, Stat: 'Sum' },
                ReturnData: false,
              },
              {
                Id: 'm2',
                MetricStat: { Metric: { Namespace: 'T', MetricName: 'b' }, Period: 60, Stat: 'Sum' },
                ReturnData: false,
              },
              { Id: 'e0', Expression: 'm1 * 2', ReturnData: false },
              { Id: 'e1', Expression: expression, ReturnData: true },
            ]);
          } catch (error) {
            // Type errors are refused at load time with a typed error (a scalar result, a scalar in
            // an array, FILL of a scalar); nothing else may be thrown.
            expect(error).toBeInstanceOf(MetricQueriesError);
            return undefined;
          }
        })();
        if (!compiled) return;
        const values = new Map([
          ['m1', Float64Array.from([1, Number.NaN, 0, -3, 5, 1e308])],
          ['m2', Float64Array.from([0, 2, Number.NaN, 4, 0, -1e308])],
        ]);
        const out = evaluateMetricQueries(compiled, { start: 0, periodMs: 60_000, length: 6 }, values);
        for (const v of out) expect(Number.isNaN(v) || Number.isFinite(v), expression).toBe(true);
        evaluated++;
      }),
      { numRuns: 500, seed: 17 },
    );
    expect(evaluated).toBeGreaterThan(250);
  });
});
