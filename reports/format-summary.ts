import pc from 'picocolors';
import { buildDrillDeltas, formatDrillDelta } from '../core/drill-delta.ts';
import { formatDuration } from '../core/duration.ts';
import { type Check, exitCodeForStatus, orderChecks, type RunResult } from '../core/run-result.ts';
import { formatEvidence } from './format-evidence.ts';
import { formatSendLag } from './format-send-lag.ts';
import { formatMeasured, formatTargets, formatThreshold, STATUS_SYMBOL } from './format-value.ts';

export interface SummaryOptions {
  /** The HTML report, printed last so it is the line people copy. */
  reportPath?: string;
  /** The run directory (all reports), printed just before the report path. */
  runDir?: string;
  /** ANSI colours. @defaultValue false — see {@link shouldUseColor} */
  color?: boolean;
}

/** Colour only on a TTY, never with `NO_COLOR` set (https://no-color.org), forced by `FORCE_COLOR`. */
export function shouldUseColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const EXIT_MEANING: Record<RunResult['status'], string> = {
  passed: 'every check passed',
  failed: 'a check failed',
  error: 'environment error',
  interrupted: 'interrupted, faults cleared',
};

/**
 * The end-of-run terminal summary (like k6's): failures first, names dot-aligned, measured vs
 * threshold in aligned columns, load figures, the verdict with its exit code, and last the run
 * directory and report path. Pure; colour only when asked for.
 */
export function formatSummary(result: RunResult, options: SummaryOptions = {}): string {
  const c = pc.createColors(options.color === true);
  const paint: Record<Check['status'], (s: string) => string> = {
    passed: c.green,
    failed: c.red,
    error: c.yellow,
    skipped: c.gray,
  };
  const checks = orderChecks(result.checks);
  const width = Math.min(48, Math.max(0, ...checks.map((check) => check.name.length)) + 2);
  const measuredWidth = Math.max(0, ...checks.map((check) => formatMeasured(check).length));
  const thresholdWidth = Math.max(
    0,
    ...checks.map((check) => (check.threshold ? (formatThreshold(check)?.length ?? 0) + 12 : 0)),
  );
  const lines = [
    '',
    c.bold(
      `opsproof ${result.command} · ${result.service} · env ${result.env} · ${result.targets ? `targets ${formatTargets(result.targets)}` : `target ${result.target ?? '—'}`} · ${formatDuration(result.durationMs)}`,
    ),
    '',
  ];
  for (const check of checks) {
    const name = check.name.length > width - 2 ? `${check.name.slice(0, width - 3)}…` : check.name;
    const dots = '.'.repeat(Math.max(2, width - name.length));
    const measured = formatMeasured(check).padStart(measuredWidth);
    const threshold = (check.threshold ? `(threshold ${formatThreshold(check)})` : '').padEnd(thresholdWidth);
    const evidence = check.evidence ? `  [${formatEvidence(check.evidence)}]` : '';
    const note = check.status === 'passed' ? '' : `  ${check.message}`;
    const paintStatus = paint[check.status];
    lines.push(
      `  ${paintStatus(STATUS_SYMBOL[check.status])} ${name} ${c.dim(dots)} ${check.status === 'passed' ? measured : paintStatus(measured)}${threshold ? `  ${c.dim(threshold)}` : ''}${c.dim(evidence)}${note ? paintStatus(note) : ''}`.trimEnd(),
    );
  }
  if (checks.length === 0) lines.push('  (no checks ran)');
  const count = (s: Check['status']) => checks.filter((check) => check.status === s).length;
  lines.push(
    '',
    `  checks: ${c.green(`${count('passed')} passed`)}, ${count('failed') ? c.red(`${count('failed')} failed`) : '0 failed'}, ${count('error') ? c.yellow(`${count('error')} errors`) : '0 errors'}, ${count('skipped')} skipped`,
  );
  if (result.load) {
    const l = result.load;
    lines.push(
      `  load${l.interrupted ? ` (interrupted after ${formatDuration(l.durationMs)})` : ''}: ${l.requests} requests · ${l.rps.toFixed(1)} rps · ${l.errors} errors (${(l.errorRate * 100).toFixed(2)}%) · p50 ${l.latencyMs.p50.toFixed(1)} ms · p95 ${l.latencyMs.p95.toFixed(1)} ms · p99 ${l.latencyMs.p99.toFixed(1)} ms`,
    );
    const sendLag = formatSendLag(result);
    if (sendLag) lines.push(`  ${sendLag}`);
  }
  if (result.drill) {
    const d = result.drill;
    const fmt = (ms: number | null) => (ms === null ? '—' : formatDuration(ms));
    lines.push(
      `  drill ${d.name}: detect ${fmt(d.timeToDetectMs)} · alarm ${fmt(d.timeToAlarmMs)} · recover ${fmt(d.timeToRecoverMs)}${d.objectiveMs ? ` (objective ${fmt(d.objectiveMs)})` : ''}`,
    );
    if (d.previous) {
      const changes = buildDrillDeltas(d)
        .filter((row) => row.unit === 'ms' && row.delta !== null)
        .map((row) => `${row.measure.replace(/^time to /, '')} ${formatDrillDelta(row)}`);
      lines.push(`  vs previous drill ${d.previous.runId}: ${changes.join(' · ') || 'nothing to compare'}`);
    }
  }
  const stagesLine = result.stages
    .map((s) => `${s.name} ${s.status} ${formatDuration(s.durationMs)}`)
    .join(' · ');
  if (stagesLine) lines.push(`  stages: ${stagesLine}`);
  if (result.error)
    lines.push(`  ${result.status === 'interrupted' ? 'interrupted' : 'error'}: ${result.error}`);
  const verdictPaint = result.status === 'passed' ? c.green : result.status === 'failed' ? c.red : c.yellow;
  lines.push(
    `  verdict: ${c.bold(verdictPaint(`${result.status.toUpperCase()} (exit ${exitCodeForStatus(result.status)})`))} — ${EXIT_MEANING[result.status]}`,
  );
  if (options.runDir) lines.push(`  run dir: ${options.runDir}`);
  if (options.reportPath) lines.push(`  report: ${options.reportPath}`);
  lines.push('');
  return lines.join('\n');
}
