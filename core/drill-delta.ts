import { formatDuration } from './duration.ts';
import type { DrillReport } from './run-result.ts';

/** One measure of a drill next to the previous drill's. */
export interface DrillDelta {
  measure: 'time to detect' | 'time to alarm' | 'time to recover' | 'impact duration' | 'failed requests';
  unit: 'ms' | 'requests';
  now: number | null;
  previous: number | null;
  /** now − previous; null when either is missing. Lower is better for every measure. */
  delta: number | null;
}

/** The drill's measures against the previous drill's (pure); empty without a previous drill. */
export function buildDrillDeltas(drill: DrillReport): DrillDelta[] {
  const previous = drill.previous;
  if (!previous) return [];
  const row = (
    measure: DrillDelta['measure'],
    unit: DrillDelta['unit'],
    now: number | null,
    before: number | null,
  ) => ({
    measure,
    unit,
    now,
    previous: before,
    delta: now === null || before === null ? null : now - before,
  });
  return [
    row('time to detect', 'ms', drill.timeToDetectMs, previous.timeToDetectMs),
    row('time to alarm', 'ms', drill.timeToAlarmMs, previous.timeToAlarmMs),
    row('time to recover', 'ms', drill.timeToRecoverMs, previous.timeToRecoverMs),
    row('impact duration', 'ms', drill.impact.durationMs, previous.impact.durationMs),
    row('failed requests', 'requests', drill.impact.failedRequests, previous.impact.failedRequests),
  ];
}

/** A figure of a delta row: `12.5s`, `40 requests`, `—`. */
export function formatDrillFigure(value: number | null, unit: DrillDelta['unit']): string {
  if (value === null) return '—';
  return unit === 'ms' ? formatDuration(Math.abs(value)) : `${Math.abs(value)} requests`;
}

/** `−2.5s (better)`, `+1s (worse)`, `±0 (same)`, or `—` when either side was not measured. */
export function formatDrillDelta(row: DrillDelta): string {
  if (row.delta === null) return '—';
  if (row.delta === 0) return '±0 (same)';
  return `${row.delta < 0 ? '−' : '+'}${formatDrillFigure(row.delta, row.unit)} (${row.delta < 0 ? 'better' : 'worse'})`;
}
