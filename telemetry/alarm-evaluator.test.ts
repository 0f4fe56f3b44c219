import { describe, expect, test } from 'vitest';
import {
  buildPeriodDatapoints,
  computePercentile,
  defaultEvaluationRange,
  type EvaluatedAlarm,
  evaluateAlarm,
  lowSampleThreshold,
  type PeriodDatapoint,
} from './alarm-evaluator.ts';
import type { AlarmStateValue, TreatMissingData } from './types.ts';

const base: EvaluatedAlarm = {
  AlarmName: 'A',
  Statistic: 'Maximum',
  Period: 300,
  EvaluationPeriods: 3,
  DatapointsToAlarm: 3,
  Threshold: 5,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'missing',
};

/** `0 - X - X` (oldest first, as AWS's tables): 0 = not breaching, X = breaching, - = missing. */
function pointsFrom(pattern: string, periodS: number): { datapoints: PeriodDatapoint[]; now: number } {
  const cells = pattern.trim().split(/\s+/);
  const datapoints: PeriodDatapoint[] = [];
  cells.forEach((cell, i) => {
    if (cell === '-') return;
    datapoints.push({ start: i * periodS * 1000, value: cell === 'X' ? 10 : 0, sampleCount: 1 });
  });
  return { datapoints, now: cells.length * periodS * 1000 };
}

type Cell = AlarmStateValue | 'RETAIN';
const MODES: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

function stateFor(alarm: EvaluatedAlarm, pattern: string, previousState: AlarmStateValue) {
  const { datapoints, now } = pointsFrom(pattern, alarm.Period);
  return evaluateAlarm(alarm, { now, datapoints, previousState });
}

// CloudWatch User Guide, "How alarm state is evaluated when data is missing", first table:
// DatapointsToAlarm = EvaluationPeriods = 3, 5 most recent datapoints retrieved.
const table1: [string, [Cell, Cell, Cell, Cell]][] = [
  ['0 - X - X', ['OK', 'OK', 'OK', 'OK']],
  ['0 - - - -', ['OK', 'OK', 'OK', 'OK']],
  ['- - - - -', ['INSUFFICIENT_DATA', 'RETAIN', 'ALARM', 'OK']],
  ['0 X X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['- - - - X', ['INSUFFICIENT_DATA', 'RETAIN', 'ALARM', 'OK']],
  ['X - - - -', ['ALARM', 'RETAIN', 'ALARM', 'OK']],
];

// Second table: DatapointsToAlarm 2, EvaluationPeriods 3 (2 out of 3).
const table2: [string, [Cell, Cell, Cell, Cell]][] = [
  ['0 - X - X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['0 0 X 0 X', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
  ['0 - X - -', ['OK', 'OK', 'ALARM', 'OK']],
  ['- - - - 0', ['OK', 'OK', 'ALARM', 'OK']],
  ['- - - - X', ['INSUFFICIENT_DATA', 'RETAIN', 'ALARM', 'OK']],
];

function cellsOf(table: [string, [Cell, Cell, Cell, Cell]][]) {
  return table.flatMap(([pattern, expected]) =>
    MODES.map((mode, i) => ({ pattern, mode, expected: expected[i]! })),
  );
}

describe('AWS documentation, table 1 (3 out of 3)', () => {
  test.each(cellsOf(table1))('$pattern with $mode → $expected', ({ pattern, mode, expected }) => {
    const alarm = { ...base, TreatMissingData: mode };
    for (const previous of ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const) {
      const want = expected === 'RETAIN' ? previous : expected;
      expect(stateFor(alarm, pattern, previous).state).toBe(want);
    }
  });
});

describe('AWS documentation, table 2 (2 out of 3)', () => {
  test.each(cellsOf(table2))('$pattern with $mode → $expected', ({ pattern, mode, expected }) => {
    const alarm = { ...base, DatapointsToAlarm: 2, TreatMissingData: mode };
    for (const previous of ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const) {
      const want = expected === 'RETAIN' ? previous : expected;
      expect(stateFor(alarm, pattern, previous).state).toBe(want);
    }
  });
});

test('the documented follow-up of table 1 row 2: once the 0 leaves the range, breaching goes to ALARM', () => {
  const alarm = { ...base, TreatMissingData: 'breaching' as const };
  expect(stateFor(alarm, '0 - - - -', 'OK').state).toBe('OK');
  expect(stateFor(alarm, '0 - - - - -', 'OK').state).toBe('ALARM');
});

test.each([
  [1, 3],
  [2, 4],
  [3, 5],
  [5, 7],
  [6, 8],
  [9, 12],
])('default evaluation range for N=%i is %i periods', (n, range) => {
  expect(defaultEvaluationRange(n)).toBe(range);
});

test('a configurable evaluation range changes which real datapoints count', () => {
  const alarm = { ...base, EvaluationPeriods: 3, DatapointsToAlarm: 1, TreatMissingData: 'missing' as const };
  const { datapoints, now } = pointsFrom('X - - - - 0', alarm.Period);
  expect(evaluateAlarm(alarm, { now, datapoints, previousState: 'OK' }).state).toBe('OK');
  expect(evaluateAlarm(alarm, { now, datapoints, previousState: 'OK', evaluationRange: 6 }).state).toBe(
    'ALARM',
  );
});

describe('M out of N with full data', () => {
  test.each([
    ['0 0 0 0 0', 1, 3, 'OK'],
    ['0 0 0 0 X', 1, 3, 'ALARM'],
    ['0 0 X 0 X', 2, 3, 'ALARM'],
    ['0 0 X 0 0', 2, 3, 'OK'],
    ['X X 0 X X', 2, 2, 'ALARM'],
    ['X X X 0 X', 4, 5, 'ALARM'],
    ['X 0 X 0 X', 4, 5, 'OK'],
  ] as const)('%s, %i of %i → %s', (pattern, m, n, expected) => {
    const alarm = { ...base, EvaluationPeriods: n, DatapointsToAlarm: m };
    expect(stateFor(alarm, pattern, 'OK').state).toBe(expected);
  });
});

describe('comparison operators (threshold 5)', () => {
  test.each([
    ['GreaterThanThreshold', 5, false],
    ['GreaterThanThreshold', 6, true],
    ['GreaterThanOrEqualToThreshold', 5, true],
    ['GreaterThanOrEqualToThreshold', 4, false],
    ['LessThanThreshold', 5, false],
    ['LessThanThreshold', 4, true],
    ['LessThanOrEqualToThreshold', 5, true],
    ['LessThanOrEqualToThreshold', 6, false],
  ] as const)('%s with %d breaches: %s', (op, value, breaching) => {
    const alarm = { ...base, EvaluationPeriods: 1, DatapointsToAlarm: 1, Period: 60, ComparisonOperator: op };
    const result = evaluateAlarm(alarm, {
      now: 60_000,
      datapoints: [{ start: 0, value, sampleCount: 1 }],
      previousState: 'INSUFFICIENT_DATA',
    });
    expect(result.state).toBe(breaching ? 'ALARM' : 'OK');
  });
});

test('reasons read like CloudWatch', () => {
  const alarm = { ...base, DatapointsToAlarm: 2, Period: 60 };
  const { datapoints, now } = pointsFrom('0 0 X 0 X', 60);
  const result = evaluateAlarm(alarm, { now, datapoints, previousState: 'OK' });
  expect(result.reason).toBe(
    'Threshold Crossed: 2 out of the last 3 datapoints [10.0 (01/01/70 00:04:00), 10.0 (01/01/70 00:02:00)] ' +
      'were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).',
  );
  expect(result.changed).toBe(true);
  const ok = evaluateAlarm(alarm, { ...pointsFrom('0 0 0 0 X', 60), previousState: 'ALARM' });
  expect(ok.reason).toMatch(
    /^Threshold Crossed: 2 out of the last 3 datapoints \[0\.0 .*, 0\.0 .*\] were not greater than the threshold \(5\.0\) \(minimum 2 datapoints for ALARM -> OK transition\)\.$/,
  );
  const none = evaluateAlarm(alarm, { now: 300_000, datapoints: [], previousState: 'INSUFFICIENT_DATA' });
  expect(none).toMatchObject({ state: 'INSUFFICIENT_DATA', changed: false });
  expect(none.reason).toBe('Insufficient Data: 5 datapoints were unknown.');
});

describe('statistics and aggregation into periods', () => {
  const samples = [
    { t: 0, value: 1, count: 1 },
    { t: 10_000, value: 3, count: 1 },
    { t: 59_999, value: 8, count: 2 },
    { t: 60_000, value: 100, count: 1 },
  ];
  test.each([
    ['SampleCount', 4],
    ['Sum', 20],
    ['Average', 5],
    ['Minimum', 1],
    ['Maximum', 8],
  ] as const)('%s of the first minute is %d', (statistic, expected) => {
    const points = buildPeriodDatapoints({ Statistic: statistic, Period: 60 }, samples);
    expect(points[0]).toEqual({ start: 0, value: expected, sampleCount: 4 });
    expect(points[1]).toMatchObject({ start: 60_000, value: statistic === 'SampleCount' ? 1 : 100 });
  });

  test('statistic sets join Sum/Average/SampleCount but cannot give percentiles', () => {
    const sets = [{ t: 5_000, sampleCount: 4, sum: 20, minimum: 0, maximum: 9 }];
    expect(buildPeriodDatapoints({ Statistic: 'Average', Period: 60 }, [], sets)).toEqual([
      { start: 0, value: 5, sampleCount: 4 },
    ]);
    expect(buildPeriodDatapoints({ ExtendedStatistic: 'p99', Period: 60 }, [], sets)).toEqual([]);
  });
});

describe('percentiles', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => ({ value: i + 1, count: 1 }));
  test.each([
    [50, 50],
    [90, 90],
    [99, 99],
    [99.9, 100],
    [100, 100],
    [1, 1],
  ])('p%d of 1..100 is %d', (p, expected) => {
    expect(computePercentile(hundred, p)).toBe(expected);
  });

  test('Values/Counts weigh percentiles', () => {
    // 98 fast requests and 2 slow ones: p95 fast, p99 slow.
    const samples = [
      { value: 20, count: 98 },
      { value: 1500, count: 2 },
    ];
    expect(computePercentile(samples, 95)).toBe(20);
    expect(computePercentile(samples, 99)).toBe(1500);
  });

  test.each([
    [99, 1000],
    [90, 100],
    [50, 20],
    [10, 100],
  ])('p%d needs %d samples to be significant', (p, n) => {
    expect(lowSampleThreshold(p)).toBeCloseTo(n, 6);
  });

  const p99: EvaluatedAlarm = {
    ...base,
    Statistic: undefined,
    ExtendedStatistic: 'p99',
    Period: 60,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    Threshold: 1000,
  };
  const slow = buildPeriodDatapoints(p99, [
    { t: 1000, value: 20, count: 5 },
    { t: 2000, value: 1500, count: 1 },
  ]);

  test('a p99 alarm breaches on a slow tail', () => {
    expect(evaluateAlarm(p99, { now: 60_000, datapoints: slow, previousState: 'OK' }).state).toBe('ALARM');
  });

  test.each([
    ['evaluate', 'ALARM'],
    [undefined, 'ALARM'],
    ['ignore', 'OK'],
  ] as const)('EvaluateLowSampleCountPercentile %s with 6 samples → %s', (mode, expected) => {
    const alarm = { ...p99, EvaluateLowSampleCountPercentile: mode };
    const result = evaluateAlarm(alarm, { now: 60_000, datapoints: slow, previousState: 'OK' });
    expect(result.state).toBe(expected);
    if (mode === 'ignore') expect(result.reason).toMatch(/fewer than 1000 samples/);
  });
});

describe('high-resolution periods', () => {
  test.each([10, 20, 30])('a %i s alarm aggregates and evaluates per period', (period) => {
    const alarm: EvaluatedAlarm = {
      ...base,
      Period: period,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Statistic: 'Sum',
      TreatMissingData: 'notBreaching',
    };
    const samples = [
      { t: period * 1000 * 3 + 1, value: 10, count: 1 },
      { t: period * 1000 * 4 + 1, value: 10, count: 1 },
    ];
    const datapoints = buildPeriodDatapoints(alarm, samples);
    expect(datapoints.map((d) => d.start)).toEqual([period * 3000, period * 4000]);
    // Only periods complete at `now` count: at 4·P only one breaching period exists.
    expect(evaluateAlarm(alarm, { now: period * 4000, datapoints, previousState: 'OK' }).state).toBe('OK');
    expect(evaluateAlarm(alarm, { now: period * 5000, datapoints, previousState: 'OK' }).state).toBe('ALARM');
  });
});
