import type { CanaryRunResult, Check } from '../core/run-result.ts';
import { formatLimit, formatPercent, parseThreshold } from '../core/threshold.ts';

/**
 * `1200 ms`, `99.95 %`, `503`, `—` for nothing: how a measured value reads in every report. Rates
 * (unit `ratio`, kept as fractions in result.json) read as percentages: `0.42 %`.
 */
export function formatMeasured(check: Pick<Check, 'measured' | 'unit'>): string {
  if (check.measured === null) return '—';
  if (typeof check.measured === 'string') return check.measured;
  if (check.unit === 'ratio') return formatPercent(check.measured);
  const value = Number.isInteger(check.measured) ? String(check.measured) : check.measured.toFixed(2);
  if (!check.unit || check.unit === 'status' || check.unit === 'count') return value;
  return check.unit === '%' ? `${value}%` : `${value} ${check.unit}`;
}

/**
 * A check's threshold as people read it: a rate's (`rate<=0.05` or a baseline's `<=0.05`, unit
 * `ratio`) as the limit in percent, `≤ 5 %`; every other as written.
 */
export function formatThreshold(check: Pick<Check, 'threshold' | 'unit'>): string | null {
  if (check.threshold === null || check.unit !== 'ratio') return check.threshold;
  // A baseline's limit (`<=0.011`) has no aggregate: read it as a rate's.
  const parsed = parseThreshold(/^[<>=!]/.test(check.threshold) ? `rate${check.threshold}` : check.threshold);
  return parsed.ok && parsed.threshold.aggregate.kind === 'rate'
    ? formatLimit(parsed.threshold)
    : check.threshold;
}

/** The same canary before and after chaos, named apart: `checkout`, `checkout (after chaos)`. */
export function formatCanaryName(canary: Pick<CanaryRunResult, 'name' | 'stage'>): string {
  return canary.stage === 'canaries-after' ? `${canary.name} (after chaos)` : canary.name;
}

export const STATUS_SYMBOL: Record<Check['status'], string> = {
  passed: '✓',
  failed: '✗',
  error: '!',
  skipped: '-',
};

/** Named targets as `web http://… · api http://…` (`result.targets`); `quote` escapes or marks up a URL. */
export function formatTargets(
  targets: Record<string, string>,
  quote: (url: string) => string = (u) => u,
): string {
  return Object.entries(targets)
    .map(([name, url]) => `${name} ${quote(url)}`)
    .join(' · ');
}
