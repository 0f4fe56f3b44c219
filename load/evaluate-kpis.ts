import { UsageError } from '../core/errors.ts';
import type { Check, LatencySummary, LoadSummary } from '../core/run-result.ts';
import type { Kpis } from '../core/schema.ts';
import { holds, parseThreshold, type Threshold } from '../core/threshold.ts';
import { decodeHistogram, percentileMs } from './histogram.ts';

/**
 * The thresholds a load run is held to, in k6 syntax: the suite's and environment's KPIs
 * (`availability`, `p50`/`p95`/`p99`, `errorRate`, `minRps`) turned into thresholds, then their
 * `thresholds`, the profile's, and last `--kpi` overrides. A later threshold on the same aggregate
 * replaces an earlier one (`--kpi 'p(99)<500'` replaces the KPI `p99: 1000`).
 */
export function buildKpiThresholds(...sources: (Kpis | readonly string[] | undefined)[]): Threshold[] {
  const byAggregate = new Map<string, Threshold>();
  const add = (expression: string) => {
    const parsed = parseThreshold(expression);
    if (!parsed.ok)
      throw new UsageError(parsed.error, { hint: "KPIs look like 'p(95)<300', 'rate<0.01', 'rps>100'" });
    const { aggregate } = parsed.threshold;
    const key = `${aggregate.kind === 'percentile' ? `p(${aggregate.p})` : aggregate.kind}${direction(parsed.threshold)}`;
    byAggregate.delete(key);
    byAggregate.set(key, parsed.threshold);
  };
  for (const source of sources) {
    if (!source) continue;
    if (Array.isArray(source)) {
      for (const expression of source as readonly string[]) add(expression);
      continue;
    }
    const kpis = source as Kpis;
    if (kpis.p50 !== undefined) add(`p(50)<${kpis.p50}`);
    if (kpis.p95 !== undefined) add(`p(95)<${kpis.p95}`);
    if (kpis.p99 !== undefined) add(`p(99)<${kpis.p99}`);
    if (kpis.errorRate !== undefined) add(`rate<${kpis.errorRate}`);
    // Availability is the success rate: availability ≥ A % ⇔ error rate ≤ 1 − A/100.
    if (kpis.availability !== undefined) add(`rate<=${round(1 - kpis.availability / 100)}`);
    if (kpis.minRps !== undefined) add(`rps>=${kpis.minRps}`);
    for (const expression of kpis.thresholds ?? []) add(expression);
  }
  return [...byAggregate.values()];
}

/** Upper and lower bounds on the same aggregate coexist (`rps>10` and `rps<1000`). */
function direction(t: Threshold): string {
  return t.operator.startsWith('<') ? '<' : t.operator.startsWith('>') ? '>' : t.operator;
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
export function evaluateKpis(thresholds: readonly Threshold[], summary: LoadSummary): Check[] {
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
          : `${summary.dropped} arrivals were dropped at the in-flight cap: the target could not keep up with the rate`,
      stage: 'load',
    });
  }
  return checks;
}

function evaluateOne(
  threshold: Threshold,
  data: Parameters<typeof measureAggregate>[1],
  scope: string | undefined,
): Check {
  const id = `kpi:${scope ? `${scope}:` : ''}${threshold.source}`;
  const name = `${scope ? `${scope}: ` : ''}${threshold.source}`;
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
  const label =
    threshold.aggregate.kind === 'percentile' ? `p(${threshold.aggregate.p})` : threshold.aggregate.kind;
  if (unit === 'ratio') return `${label} = ${value} (${Math.round(value * 10000) / 100} %)`;
  return `${label} = ${value} ${unit}`;
}
