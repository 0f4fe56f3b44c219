/**
 * Benchmark: evaluating metric math alarms against single-metric alarms, offline (pure evaluator).
 * 500 alarms, a day of one-minute data, each alarm evaluated at every minute (1440 evaluations):
 * - math: `IF(requests > 0, 100 * errors / requests, 0)` over two metric queries, the expression
 *   evaluated over each evaluation range as CloudWatch queries it;
 * - single: the same alarm settings on one metric (the errors), as `alarms test` evaluates it.
 * Prints the time per alarm-evaluation of each and the ratio math / single.
 * Run: `npx tsx bench/math-alarms.bench.ts [alarms] [minutes]`.
 */
import type { AlarmDefinition, MathAlarmDefinition } from '../core/schema.ts';
import { buildPeriodDatapoints, evaluateAlarm } from '../telemetry/alarm-evaluator.ts';
import { compileMetricQueries } from '../telemetry/metric-math/compile-metric-queries.ts';
import { buildQueryDatapoints, evaluateMathAlarm } from '../telemetry/metric-math/evaluate-math-alarm.ts';
import type { AlarmStateValue } from '../telemetry/types.ts';

const alarmCount = Number(process.argv[2] ?? 500);
const minutes = Number(process.argv[3] ?? 24 * 60);

/** Deterministic pseudo-random numbers, so runs compare. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function series(seed: number, scale: number, gaps: number) {
  const next = random(seed);
  const out: { t: number; value: number; count: number }[] = [];
  for (let m = 0; m < minutes; m++) {
    if (next() < gaps) continue;
    out.push({ t: m * 60_000 + 1000, value: Math.floor(next() * scale), count: 1 });
  }
  return out;
}

const settings = {
  EvaluationPeriods: 3,
  DatapointsToAlarm: 2,
  Threshold: 5,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
  severity: 'warning',
} as const;

const mathAlarm: MathAlarmDefinition = {
  AlarmName: 'ErrorRate',
  Metrics: [
    {
      Id: 'errors',
      MetricStat: { Metric: { Namespace: 'B', MetricName: 'Errors' }, Period: 60, Stat: 'Sum' },
      ReturnData: false,
    },
    {
      Id: 'requests',
      MetricStat: { Metric: { Namespace: 'B', MetricName: 'Requests' }, Period: 60, Stat: 'Sum' },
      ReturnData: false,
    },
    { Id: 'rate', Expression: 'IF(requests > 0, 100 * errors / requests, 0)', ReturnData: true },
  ],
  ...settings,
};
const singleAlarm: AlarmDefinition = {
  AlarmName: 'Errors',
  Namespace: 'B',
  MetricName: 'Errors',
  Statistic: 'Sum',
  Period: 60,
  ...settings,
};

const compiled = compileMetricQueries(mathAlarm.Metrics);
const inputs = Array.from({ length: alarmCount }, (_, i) => ({
  errors: series(i * 2 + 1, 12, 0.3),
  requests: series(i * 2 + 2, 200, 0.05),
}));

function runMath(): { ms: number; evaluations: number; alarms: number } {
  const started = performance.now();
  let evaluations = 0;
  let alarms = 0;
  for (const input of inputs) {
    const datapoints = new Map([
      ['errors', buildQueryDatapoints(compiled.metrics[0]!, input.errors)],
      ['requests', buildQueryDatapoints(compiled.metrics[1]!, input.requests)],
    ]);
    let state: AlarmStateValue = 'INSUFFICIENT_DATA';
    for (let m = 1; m <= minutes; m++) {
      state = evaluateMathAlarm(mathAlarm, compiled, {
        now: m * 60_000,
        datapoints,
        previousState: state,
      }).state;
      evaluations++;
      if (state === 'ALARM') alarms++;
    }
  }
  return { ms: performance.now() - started, evaluations, alarms };
}

function runSingle(): { ms: number; evaluations: number; alarms: number } {
  const started = performance.now();
  let evaluations = 0;
  let alarms = 0;
  for (const input of inputs) {
    const datapoints = buildPeriodDatapoints(singleAlarm, input.errors);
    let state: AlarmStateValue = 'INSUFFICIENT_DATA';
    for (let m = 1; m <= minutes; m++) {
      state = evaluateAlarm(singleAlarm, { now: m * 60_000, datapoints, previousState: state }).state;
      evaluations++;
      if (state === 'ALARM') alarms++;
    }
  }
  return { ms: performance.now() - started, evaluations, alarms };
}

// One warm-up round of each (JIT), then the measured rounds, alternating so drift hits both alike.
runMath();
runSingle();
const rounds = 3;
const math: number[] = [];
const single: number[] = [];
let last = { math: runMath(), single: runSingle() };
for (let r = 0; r < rounds; r++) {
  last = { math: runMath(), single: runSingle() };
  math.push((last.math.ms * 1000) / last.math.evaluations);
  single.push((last.single.ms * 1000) / last.single.evaluations);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const perMath = median(math);
const perSingle = median(single);
console.log(
  `${alarmCount} alarms × ${minutes} one-minute evaluations (median of ${rounds} rounds): ` +
    `math ${perMath.toFixed(2)} µs/evaluation (${last.math.alarms} in ALARM), ` +
    `single-metric ${perSingle.toFixed(2)} µs/evaluation (${last.single.alarms} in ALARM), ` +
    `ratio math/single ${(perMath / perSingle).toFixed(2)}`,
);
