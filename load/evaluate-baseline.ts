import { readFile } from 'node:fs/promises';
import { ConfigError, UsageError } from '../core/errors.ts';
import type { Check, LoadSummary } from '../core/run-result.ts';
import { formatPercent } from '../core/threshold.ts';

/** How much worse than the baseline still passes. */
export interface BaselineTolerance {
  /** Relative tolerance (0.1 = 10 % worse). @defaultValue 0.1 */
  relative: number;
  /** Latency differences below this many ms never count (noise floor). @defaultValue 5 */
  absoluteMs: number;
  /** Error-rate differences below this never count. @defaultValue 0.001 */
  absoluteErrorRate: number;
  /** Throughput drops below this many requests per second never count. @defaultValue 1 */
  absoluteRps?: number;
}

const DEFAULT_BASELINE_TOLERANCE: BaselineTolerance = {
  relative: 0.1,
  absoluteMs: 5,
  absoluteErrorRate: 0.001,
  absoluteRps: 1,
};

/** The figures a baseline compares, per scenario and overall. */
export type BaselineMetric = 'p50' | 'p95' | 'p99' | 'p999' | 'errorRate' | 'rps';

const BASELINE_METRICS: readonly BaselineMetric[] = ['p50', 'p95', 'p99', 'p999', 'errorRate', 'rps'];

/** The overall figures' key in {@link BaselineSpread}; scenarios use their names. */
const OVERALL = '*';

/**
 * Earlier passed runs' figures (same profile, same environment), for the run-to-run spread: per
 * scenario (`*` = overall), per metric, one value per run.
 */
export interface BaselineSpread {
  runs: number;
  values: Record<string, Partial<Record<BaselineMetric, number[]>>>;
}

/** How the spread decides (config `history.baseline`, history/README.md). */
export interface BaselineNoise {
  /** Robust standard deviations (1.4826 × MAD) worse than the reference that still pass. @defaultValue 3 */
  k: number;
  /** Fewer values than this in the spread: the fixed relative tolerance decides. @defaultValue 5 */
  minRuns: number;
}

const DEFAULT_BASELINE_NOISE: BaselineNoise = { k: 3, minRuns: 5 };

/** A baseline resolved by the CLI: a file, a recorded run, or nothing to compare with (and why). */
export interface BaselineReference {
  /** What it is, for messages: `run 20260101T000000Z-abcd (latest passed)` or a file path. */
  label: string;
  summary?: LoadSummary;
  /** Why there is no summary (e.g. no passed run recorded yet): the check is skipped, saying so. */
  missing?: string;
  spread?: BaselineSpread;
  noise?: BaselineNoise;
  tolerance?: BaselineTolerance;
}

/**
 * Compares p50/p95/p99/p99.9, error rate and throughput with a baseline run, overall (`baseline:p99`)
 * and per scenario present in both (`baseline:<scenario>:p99`). Latency and error rate regress when
 * higher than the limit, throughput when lower. The limit, per figure:
 *
 * - with at least `noise.minRuns` values of that figure in `spread` (earlier passed runs): the worse
 *   of the baseline's value and the spread's median, plus `k` robust standard deviations of the
 *   spread (1.4826 × median absolute deviation), never less than the absolute floor;
 * - otherwise: the baseline's value plus the relative tolerance, never less than the absolute floor
 *   (so 1.2 ms → 1.5 ms is not a 25 % regression).
 *
 * Figures missing from either side (an old baseline without p99.9) are not compared.
 */
export function evaluateBaseline(
  current: LoadSummary,
  baseline: LoadSummary,
  tolerance: BaselineTolerance = DEFAULT_BASELINE_TOLERANCE,
  options: { spread?: BaselineSpread; noise?: BaselineNoise; label?: string } = {},
): Check[] {
  const now = figuresOf(current);
  const before = figuresOf(baseline);
  const checks: Check[] = [];
  for (const [scenario, figures] of now) {
    const reference = before.get(scenario);
    if (!reference) continue;
    for (const metric of BASELINE_METRICS) {
      const value = figures[metric];
      const base = reference[metric];
      if (value === undefined || base === undefined) continue;
      const values = options.spread?.values[scenario]?.[metric] ?? [];
      checks.push(
        compareFigure({
          scenario,
          metric,
          now: value,
          before: base,
          values,
          tolerance,
          noise: options.noise ?? DEFAULT_BASELINE_NOISE,
          ...(options.label ? { label: options.label } : {}),
        }),
      );
    }
  }
  return checks;
}

/** The baseline checks for a resolved reference; one skipped check when there was nothing to compare. */
export function evaluateBaselineReference(current: LoadSummary, reference: BaselineReference): Check[] {
  if (!reference.summary) {
    return [
      {
        id: 'baseline',
        kind: 'baseline',
        name: 'baseline',
        status: 'skipped',
        measured: null,
        threshold: null,
        message: `no baseline to compare with: ${reference.missing ?? reference.label}`,
        stage: 'load',
      },
    ];
  }
  return evaluateBaseline(current, reference.summary, reference.tolerance ?? DEFAULT_BASELINE_TOLERANCE, {
    ...(reference.spread ? { spread: reference.spread } : {}),
    ...(reference.noise ? { noise: reference.noise } : {}),
    label: reference.label,
  });
}

/** Per scenario (`*` = overall), the figures a summary holds. */
function figuresOf(summary: LoadSummary): Map<string, Partial<Record<BaselineMetric, number>>> {
  const seconds = summary.durationMs > 0 ? summary.durationMs / 1000 : undefined;
  const pick = (latency: Partial<LoadSummary['latencyMs']> | undefined, errorRate: unknown, rps: unknown) => {
    const figures: Partial<Record<BaselineMetric, number>> = {};
    for (const metric of ['p50', 'p95', 'p99', 'p999'] as const) {
      const value = latency?.[metric];
      if (isFigure(value)) figures[metric] = value;
    }
    if (isFigure(errorRate)) figures.errorRate = errorRate;
    if (isFigure(rps)) figures.rps = rps;
    return figures;
  };
  const map = new Map([[OVERALL, pick(summary.latencyMs, summary.errorRate, summary.rps)]]);
  for (const s of summary.scenarios ?? []) {
    // Scenarios share the load's measured window.
    map.set(s.name, pick(s.latencyMs, s.errorRate, seconds ? s.requests / seconds : undefined));
  }
  return map;
}

const isFigure = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The median of a non-empty list. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** 1.4826 × MAD: the standard deviation of normal data, unmoved by a few outlying runs. */
export function robustSpread(values: readonly number[]): { median: number; mad: number; sigma: number } {
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m)));
  return { median: m, mad, sigma: 1.4826 * mad };
}

function compareFigure(input: {
  scenario: string;
  metric: BaselineMetric;
  now: number;
  before: number;
  values: readonly number[];
  tolerance: BaselineTolerance;
  noise: BaselineNoise;
  label?: string;
}): Check {
  const { scenario, metric, now, before, values, tolerance, noise } = input;
  const higherIsWorse = metric !== 'rps';
  const unit = metric === 'errorRate' ? 'ratio' : metric === 'rps' ? 'rps' : 'ms';
  const floor =
    metric === 'errorRate'
      ? tolerance.absoluteErrorRate
      : metric === 'rps'
        ? (tolerance.absoluteRps ?? 1)
        : tolerance.absoluteMs;
  const sign = higherIsWorse ? 1 : -1;
  let limit: number;
  let basis: string;
  if (values.length >= noise.minRuns) {
    const spread = robustSpread(values);
    const center = higherIsWorse ? Math.max(before, spread.median) : Math.min(before, spread.median);
    const allowance = Math.max(noise.k * spread.sigma, floor);
    limit = center + sign * allowance;
    basis =
      `${higherIsWorse ? 'max' : 'min'}(baseline ${fmt(before, unit)}, median ${fmt(spread.median, unit)} of ${values.length} passed runs) ` +
      `${higherIsWorse ? '+' : '−'} ${fmt(allowance, unit)} (${noise.k} × 1.4826 × MAD ${fmt(spread.mad, unit)}, floor ${fmt(floor, unit)})`;
  } else {
    const relative = before * tolerance.relative;
    limit = before + sign * Math.max(relative, floor);
    basis =
      `baseline ${fmt(before, unit)} ${higherIsWorse ? '+' : '−'} ${tolerance.relative * 100} % (floor ${fmt(floor, unit)}); ` +
      `${values.length} passed run${values.length === 1 ? '' : 's'} in history, ${noise.minRuns} needed for the spread`;
  }
  const regressed = higherIsWorse ? now > limit : now < limit;
  const change =
    before > 0 ? `${now >= before ? '+' : ''}${Math.round(((now - before) / before) * 1000) / 10} %` : 'n/a';
  const prefix = scenario === OVERALL ? '' : `${scenario}:`;
  const figure = `${prefix}${metric}`;
  return {
    id: `baseline:${figure}`,
    kind: 'baseline',
    name: `${scenario === OVERALL ? '' : `${scenario} `}${metric} vs baseline`,
    status: regressed ? 'failed' : 'passed',
    measured: round(now),
    threshold: `${higherIsWorse ? '<=' : '>='}${round(limit)}`,
    unit,
    message:
      `${figure} ${fmt(now, unit)} vs baseline ${fmt(before, unit)}${input.label ? ` (${input.label})` : ''} (${change}); ` +
      `limit ${fmt(limit, unit)} = ${basis}${regressed ? ': regression' : ''}`,
    stage: 'load',
  } satisfies Check;
}

/** Error rates read as percentages (`1.1 %`); the check keeps the fractions. */
function fmt(value: number, unit: string): string {
  if (unit === 'ratio') return formatPercent(Math.round(value * 1e5) / 1e5);
  return `${Math.round(value * 100) / 100} ${unit}`;
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** Reads a baseline: a result.json (its `load`) or a bare LoadSummary. */
export async function loadBaseline(file: string): Promise<LoadSummary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read baseline ${file}: ${(error as Error).message}`);
  }
  return parseBaseline(text, file);
}

export function parseBaseline(text: string, file = 'baseline'): LoadSummary {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not JSON: ${(error as Error).message}`, [], { file });
  }
  const candidate = (value as { load?: unknown })?.load ?? value;
  const summary = candidate as Partial<LoadSummary>;
  const l = summary?.latencyMs;
  if (
    !l ||
    typeof summary.errorRate !== 'number' ||
    ![l.p50, l.p95, l.p99].every((v) => typeof v === 'number')
  ) {
    throw new ConfigError(
      `${file} has no load summary (expected a result.json with "load", or { latencyMs: { p50, p95, p99 }, errorRate })`,
      [],
      { file, hint: 'pass the result.json of an earlier `opsproof load run` or gate' },
    );
  }
  return summary as LoadSummary;
}
