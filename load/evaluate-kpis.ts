import { UsageError } from '../core/errors.ts';
import type { Check, LatencySummary, LoadSummary } from '../core/run-result.ts';
import type { Kpis } from '../core/schema.ts';
import {
  buildThreshold,
  formatLimit,
  formatPercent,
  holds,
  KPI_SYNTAX_HINT,
  parseThreshold,
  type Threshold,
} from '../core/threshold.ts';
import { decodeHistogram, percentileMs } from './histogram.ts';

/** A threshold a load run is held to, with the KPI it came from (absent for expressions). */
export interface KpiThreshold extends Threshold {
  kpi?: 'p50' | 'p95' | 'p99' | 'errorRate' | 'availability' | 'minRps';
}

/**
 * The thresholds a load run is held to, in k6 syntax: the suite's and environment's KPIs
 * (`availability`, `p50`/`p95`/`p99`, `errorRate`, `minRps`) turned into thresholds, then their
 * `thresholds`, the profile's, and last `--kpi` overrides. Every threshold of one source is held
 * (`{ availability: 95, errorRate: 0.01 }` is two checks); a later source replaces an earlier one's
 * thresholds with the same KPI key: `p99` and `p(99)<…` share one, as do `errorRate` and `rate<…`, while
 * `availability` is replaced only by `availability` (`--kpi 'p(99)<500'` replaces the KPI `p99: 1000`).
 * Expressions come as the config writes them (validated when it loaded) or already parsed (`--kpi`,
 * parsed once at the CLI).
 */
export function buildKpiThresholds(
  ...sources: (Kpis | readonly (string | Threshold)[] | undefined)[]
): KpiThreshold[] {
  let held: { key: string; threshold: KpiThreshold }[] = [];
  for (const source of sources) {
    if (!source) continue;
    const found: { key: string; threshold: KpiThreshold }[] = [];
    const add = (threshold: KpiThreshold) => {
      if (found.some((f) => f.threshold.source === threshold.source)) return;
      found.push({ key: threshold.kpi === 'availability' ? 'availability' : kpiKey(threshold), threshold });
    };
    const addExpressions = (expressions: readonly (string | Threshold)[]) => {
      for (const expression of expressions)
        add(typeof expression === 'string' ? parseKpi(expression) : expression);
    };
    if (isThresholdList(source)) {
      addExpressions(source);
    } else {
      const kpi = (name: NonNullable<KpiThreshold['kpi']>, threshold: Threshold) =>
        add({ ...threshold, kpi: name });
      if (source.p50 !== undefined)
        kpi('p50', buildThreshold({ kind: 'percentile', p: 50 }, '<', source.p50));
      if (source.p95 !== undefined)
        kpi('p95', buildThreshold({ kind: 'percentile', p: 95 }, '<', source.p95));
      if (source.p99 !== undefined)
        kpi('p99', buildThreshold({ kind: 'percentile', p: 99 }, '<', source.p99));
      if (source.errorRate !== undefined)
        kpi('errorRate', buildThreshold({ kind: 'rate' }, '<', source.errorRate));
      // Availability is the success rate: availability ≥ A % ⇔ error rate ≤ 1 − A/100.
      if (source.availability !== undefined)
        kpi('availability', buildThreshold({ kind: 'rate' }, '<=', round(1 - source.availability / 100)));
      if (source.minRps !== undefined) kpi('minRps', buildThreshold({ kind: 'rps' }, '>=', source.minRps));
      addExpressions(source.thresholds ?? []);
    }
    const keys = new Set(found.map((f) => f.key));
    held = [...held.filter((h) => !keys.has(h.key)), ...found];
  }
  return held.map((h) => h.threshold);
}

function isThresholdList(
  source: Kpis | readonly (string | Threshold)[],
): source is readonly (string | Threshold)[] {
  return Array.isArray(source);
}

/** An expression from the config (validated when it loaded); a bad one here is a caller's mistake. */
function parseKpi(expression: string): Threshold {
  const parsed = parseThreshold(expression);
  if (!parsed.ok) throw new UsageError(parsed.error, { hint: KPI_SYNTAX_HINT });
  return parsed.threshold;
}

/** Upper and lower bounds on the same aggregate coexist (`rps>10` and `rps<1000`). */
function kpiKey(t: Threshold): string {
  const direction = t.operator.startsWith('<') ? '<' : t.operator.startsWith('>') ? '>' : t.operator;
  return `${t.aggregate.kind === 'percentile' ? `p(${t.aggregate.p})` : t.aggregate.kind}${direction}`;
}

const round = (n: number) => Math.round(n * 1e9) / 1e9;

interface Measured {
  value: number;
  unit: string;
}

/** What a threshold's aggregate measured in a summary (or a scenario of it). */
export function measureAggregate(
  threshold: Threshold,
  data: { requests: number; errorRate: number; latencyMs: LatencySummary; rps?: number; histogram?: string },
): Measured | undefined {
  const { aggregate } = threshold;
  const l = data.latencyMs;
  switch (aggregate.kind) {
    case 'percentile': {
      const known: Record<number, number> = {
        50: l.p50,
        90: l.p90,
        95: l.p95,
        99: l.p99,
        99.9: l.p999,
        100: l.max,
      };
      if (known[aggregate.p] !== undefined) return { value: known[aggregate.p]!, unit: 'ms' };
      if (!data.histogram) return undefined;
      const histogram = decodeHistogram(data.histogram);
      const value = percentileMs(histogram, aggregate.p);
      histogram.destroy();
      return { value, unit: 'ms' };
    }
    case 'avg':
      return { value: l.mean, unit: 'ms' };
    case 'min':
      return { value: l.min, unit: 'ms' };
    case 'max':
      return { value: l.max, unit: 'ms' };
    case 'med':
      return { value: l.p50, unit: 'ms' };
    case 'rate':
      return { value: data.errorRate, unit: 'ratio' };
    case 'rps':
      return data.rps === undefined ? undefined : { value: data.rps, unit: 'rps' };
    case 'count':
      return { value: data.requests, unit: 'requests' };
  }
}

const LATENCY_KINDS = new Set(['percentile', 'avg', 'min', 'max', 'med', 'rate']);

/**
 * Every threshold against the run overall, and the latency and error thresholds against each
 * scenario of a mix. One `Check` (kind `kpi`) per verdict, with what was measured. An open-model run
 * that dropped arrivals also fails a `dropped` check: its latencies miss exactly the requests the
 * server was too slow for.
 */
export function evaluateKpis(thresholds: readonly KpiThreshold[], summary: LoadSummary): Check[] {
  const checks: Check[] = [];
  const targets = [
    { scope: undefined as string | undefined, data: summary },
    ...(summary.scenarios ?? []).map((s) => ({ scope: s.name, data: { ...s, histogram: undefined } })),
  ];
  for (const { scope, data } of targets) {
    for (const threshold of thresholds) {
      if (scope !== undefined && !LATENCY_KINDS.has(threshold.aggregate.kind)) continue;
      checks.push(evaluateOne(threshold, data, scope));
    }
  }
  if (summary.model === 'open') {
    checks.push({
      id: 'kpi:dropped',
      kind: 'kpi',
      name: 'no dropped arrivals',
      status: summary.dropped === 0 ? 'passed' : 'failed',
      measured: summary.dropped,
      threshold: 'dropped==0',
      unit: 'requests',
      message:
        summary.dropped === 0
          ? 'every arrival was sent'
          : summary.engine === 'k6'
            ? `k6 dropped ${iterations(summary.dropped)} for want of a free VU, so the target got fewer requests than the rate (generator kept up says how many VUs it needed)`
            : `${summary.dropped} arrivals were dropped at the in-flight cap: the target could not keep up with the rate`,
      stage: 'load',
    });
  }
  const keptUp = evaluateGeneratorKeptUp(summary);
  if (keptUp) checks.push(keptUp);
  return checks;
}

/** Send lag (p99) below this never counts as material: a late timer, a loopback connect. */
export const SEND_LAG_FLOOR_MS = 50;
/** ...nor below this share of the median latency. */
export const SEND_LAG_SHARE = 0.1;

/**
 * Did the generator send the open model's arrivals when they were due? The open engine measures
 * its own lag apart (`sendLagMs`): its p99 must stay at or below max(50 ms, 10 % of the p50
 * latency), or the target got a different load than the rate asked for and the run says so — as k6
 * reports insufficient VUs. For k6, its `dropped_iterations` (no free VU) are that signal. Nothing
 * for the closed model or autocannon (closed only), where nothing is due at a given time.
 */
export function evaluateGeneratorKeptUp(summary: LoadSummary): Check | undefined {
  if (summary.model !== 'open') return undefined;
  const base = {
    id: 'kpi:generator-kept-up',
    kind: 'kpi',
    name: 'generator kept up',
    stage: 'load',
  } as const;
  if (summary.engine === 'k6') {
    const ok = summary.dropped === 0;
    return {
      ...base,
      status: ok ? 'passed' : 'failed',
      measured: summary.dropped,
      threshold: 'dropped_iterations==0',
      unit: 'requests',
      message: ok
        ? 'k6 started every iteration when due (it does not measure send lag)'
        : describeK6Drops(summary),
    };
  }
  const lag = summary.sendLagMs;
  if (!lag) return undefined;
  const allowedMs = Math.round(Math.max(SEND_LAG_FLOOR_MS, SEND_LAG_SHARE * summary.latencyMs.p50) * 10) / 10;
  const ok = lag.p99 <= allowedMs;
  return {
    ...base,
    status: ok ? 'passed' : 'failed',
    measured: lag.p99,
    threshold: `send lag p(99)<=${allowedMs}`,
    unit: 'ms',
    message: ok
      ? `requests went on the wire when due (send lag p99 ${lag.p99} ms, max ${lag.max} ms)`
      : `the generator fell behind: requests went on the wire up to ${lag.max} ms after they were due (send lag p99 ${lag.p99} ms, more than ${allowedMs} ms), so the target got a burstier load than the rate; latencies are measured from the wire and remain the target's`,
  };
}

/**
 * Why k6 dropped iterations, and the VUs that would have carried the rate. k6 starts an
 * arrival-rate run with `preAllocatedVUs` (the profile's `connections`) and starts more, up to
 * `maxVUs` (`maxInFlight`), only when an iteration found none free — and drops that iteration. A
 * slow target needs rate × latency VUs at once (Little's law); fewer cost dropped iterations even
 * when the target answers every request in time.
 */
function describeK6Drops(summary: LoadSummary): string {
  const rate = (summary.requests + summary.dropped) / (summary.durationMs / 1000);
  const needed = Math.ceil((rate * summary.latencyMs.p50) / 1000);
  // Exactly rate × p50 still drops an iteration now and then: the slower half needs room.
  const advised = Math.ceil(needed * 1.2) + 10;
  return (
    `k6 dropped ${iterations(summary.dropped)} for want of a free VU: insufficient VUs, so the target got fewer requests than the rate. ` +
    `k6 starts with \`connections\` VUs (its preAllocatedVUs) and adds more, up to maxInFlight, only after dropping; ` +
    `~${Math.round(rate)} req/s at a p50 of ${Math.round(summary.latencyMs.p50)} ms keeps about ${needed} VUs busy — set the profile's \`connections\` (or \`--rate R --connections N\`) to ~${advised}`
  );
}

function iterations(n: number): string {
  return `${n} iteration${n === 1 ? '' : 's'}`;
}

function evaluateOne(
  threshold: KpiThreshold,
  data: Parameters<typeof measureAggregate>[1],
  scope: string | undefined,
): Check {
  const id = `kpi:${scope ? `${scope}:` : ''}${threshold.source}`;
  const name = `${scope ? `${scope}: ` : ''}${kpiName(threshold)}`;
  const measured = measureAggregate(threshold, data);
  if (!measured) {
    return {
      id,
      kind: 'kpi',
      name,
      status: 'error',
      measured: null,
      threshold: threshold.source,
      message: `${threshold.source} cannot be measured from this run`,
      stage: 'load',
    };
  }
  if (data.requests === 0) {
    return {
      id,
      kind: 'kpi',
      name,
      status: 'failed',
      measured: null,
      threshold: threshold.source,
      unit: measured.unit,
      message: 'no request completed in the measured window',
      stage: 'load',
    };
  }
  const value = Math.round(measured.value * 1e6) / 1e6;
  const ok = holds(threshold, value);
  return {
    id,
    kind: 'kpi',
    name,
    status: ok ? 'passed' : 'failed',
    measured: value,
    threshold: threshold.source,
    unit: measured.unit,
    message: `${formatMeasured(threshold, value, measured.unit)} ${ok ? 'meets' : 'breaches'} ${threshold.source}`,
    stage: 'load',
  };
}

function formatMeasured(threshold: Threshold, value: number, unit: string): string {
  if (unit === 'ratio') return `error rate ${formatPercent(value)} (limit ${formatLimit(threshold)})`;
  const label =
    threshold.aggregate.kind === 'percentile' ? `p(${threshold.aggregate.p})` : threshold.aggregate.kind;
  return `${label} = ${value} ${unit}`;
}

/**
 * Rates read as percentages (`error rate < 1 %`); availability too, but named by the error rate it
 * allows, which is what the check measures (`error rate ≤ 0.1 % (availability 99.9 %)`). The rest as
 * written.
 */
function kpiName(threshold: KpiThreshold): string {
  if (threshold.kpi === 'availability')
    return `error rate ${formatLimit(threshold)} (availability ${formatPercent(round(1 - threshold.value))})`;
  if (threshold.aggregate.kind === 'rate') return `error rate ${formatLimit(threshold)}`;
  return threshold.source;
}
