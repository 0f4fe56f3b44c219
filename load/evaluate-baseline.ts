import { readFile } from 'node:fs/promises';
import { ConfigError, UsageError } from '../core/errors.ts';
import type { Check, LoadSummary } from '../core/run-result.ts';

/** How much worse than the baseline still passes. */
export interface BaselineTolerance {
  /** Relative tolerance (0.1 = 10 % worse). @defaultValue 0.1 */
  relative: number;
  /** Latency differences below this many ms never count (noise floor). @defaultValue 5 */
  absoluteMs: number;
  /** Error-rate differences below this never count. @defaultValue 0.001 */
  absoluteErrorRate: number;
}

export const DEFAULT_BASELINE_TOLERANCE: BaselineTolerance = {
  relative: 0.1,
  absoluteMs: 5,
  absoluteErrorRate: 0.001,
};

type Metric = 'p50' | 'p95' | 'p99' | 'errorRate';

/**
 * Compares p50/p95/p99 and error rate with a baseline run. A metric regresses when it is worse by
 * more than the relative tolerance AND by more than the absolute floor (so 1.2 ms → 1.5 ms is not a
 * 25 % regression). One `baseline` check per metric.
 */
export function evaluateBaseline(
  current: LoadSummary,
  baseline: LoadSummary,
  tolerance: BaselineTolerance = DEFAULT_BASELINE_TOLERANCE,
): Check[] {
  const metrics: Metric[] = ['p50', 'p95', 'p99', 'errorRate'];
  return metrics.map((metric) => {
    const isRate = metric === 'errorRate';
    const now = isRate ? current.errorRate : current.latencyMs[metric];
    const before = isRate ? baseline.errorRate : baseline.latencyMs[metric];
    const floor = isRate ? tolerance.absoluteErrorRate : tolerance.absoluteMs;
    const limit = Math.max(before * (1 + tolerance.relative), before + floor);
    const regressed = now > limit;
    const unit = isRate ? 'ratio' : 'ms';
    const change = before > 0 ? `${Math.round(((now - before) / before) * 1000) / 10} %` : 'n/a';
    return {
      id: `baseline:${metric}`,
      kind: 'baseline',
      name: `${metric} vs baseline`,
      status: regressed ? 'failed' : 'passed',
      measured: round(now),
      threshold: `<=${round(limit)} (baseline ${round(before)} +${tolerance.relative * 100} %, floor ${floor}${isRate ? '' : ' ms'})`,
      unit,
      message: `${metric} ${round(now)}${isRate ? '' : ' ms'} vs baseline ${round(before)}${isRate ? '' : ' ms'} (${change})${regressed ? ': regression' : ''}`,
      stage: 'load',
    } satisfies Check;
  });
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
