import type { Check } from '../core/run-result.ts';

/** `1200 ms`, `99.95 %`, `503`, `—` for nothing: how a measured value reads in every report. */
export function formatMeasured(check: Pick<Check, 'measured' | 'unit'>): string {
  if (check.measured === null) return '—';
  if (typeof check.measured === 'string') return check.measured;
  const value = Number.isInteger(check.measured) ? String(check.measured) : check.measured.toFixed(2);
  if (!check.unit || check.unit === 'status' || check.unit === 'count') return value;
  return check.unit === '%' ? `${value}%` : `${value} ${check.unit}`;
}

/** Milliseconds as `850ms`, `12.3s`, `4m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

export const STATUS_SYMBOL: Record<Check['status'], string> = {
  passed: '✓',
  failed: '✗',
  error: '!',
  skipped: '-',
};
