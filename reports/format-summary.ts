import { orderChecks, type RunResult } from '../core/run-result.ts';
import { formatDuration, formatMeasured, STATUS_SYMBOL } from './format-value.ts';

const EXIT_FOR: Record<RunResult['status'], number> = { passed: 0, failed: 1, error: 3, interrupted: 130 };

/**
 * The end-of-run terminal summary (like k6's): failures first, names dot-aligned, measured vs
 * threshold, the verdict and where the report is. Plain text; colour is the caller's business.
 */
export function formatSummary(result: RunResult, options: { reportPath?: string } = {}): string {
  const checks = orderChecks(result.checks);
  const width = Math.min(48, Math.max(0, ...checks.map((c) => c.name.length)) + 2);
  const measuredWidth = Math.max(0, ...checks.map((c) => formatMeasured(c).length));
  const lines = [
    '',
    `opsproof ${result.command} · ${result.service} · env ${result.env} · target ${result.target ?? '—'} · ${formatDuration(result.durationMs)}`,
    '',
  ];
  for (const check of checks) {
    const name = check.name.length > width - 2 ? `${check.name.slice(0, width - 3)}…` : check.name;
    const dots = '.'.repeat(Math.max(2, width - name.length));
    const measured = formatMeasured(check).padStart(measuredWidth);
    const threshold = check.threshold ? `  (threshold ${check.threshold})` : '';
    const note = check.status === 'passed' ? '' : `  ${check.message}`;
    lines.push(`  ${STATUS_SYMBOL[check.status]} ${name} ${dots} ${measured}${threshold}${note}`);
  }
  if (checks.length === 0) lines.push('  (no checks ran)');
  const count = (s: string) => checks.filter((c) => c.status === s).length;
  lines.push(
    '',
    `  checks: ${count('passed')} passed, ${count('failed')} failed, ${count('error')} errors, ${count('skipped')} skipped`,
  );
  const stagesLine = result.stages
    .map((s) => `${s.name} ${s.status} ${formatDuration(s.durationMs)}`)
    .join(' · ');
  if (stagesLine) lines.push(`  stages: ${stagesLine}`);
  if (result.error)
    lines.push(`  ${result.status === 'interrupted' ? 'interrupted' : 'error'}: ${result.error}`);
  lines.push(`  verdict: ${result.status.toUpperCase()} (exit ${EXIT_FOR[result.status]})`);
  if (options.reportPath) lines.push(`  report: ${options.reportPath}`);
  lines.push('');
  return lines.join('\n');
}
