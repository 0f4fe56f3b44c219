import { orderChecks, type RunResult } from '../core/run-result.ts';
import { formatDuration, formatMeasured } from './format-value.ts';

const VERDICT: Record<RunResult['status'], string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  error: '⚠️ error',
  interrupted: '⏹️ interrupted',
};

const CHECK_ICON = { passed: '✅', failed: '❌', error: '⚠️', skipped: '⏭️' } as const;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/**
 * A Markdown summary fit for `$GITHUB_STEP_SUMMARY`: verdict first, then failed checks first in a
 * table of measured vs threshold, then stages and load figures.
 */
export function buildMarkdown(result: RunResult): string {
  const checks = orderChecks(result.checks);
  const failed = checks.filter((c) => c.status === 'failed' || c.status === 'error').length;
  const lines = [
    `## opsproof ${result.command}: ${VERDICT[result.status]}`,
    '',
    `**${result.service}** · env \`${result.env}\` (${result.provider}) · target ${result.target ? `\`${result.target}\`` : '—'} · ${formatDuration(result.durationMs)} · run \`${result.runId}\``,
    '',
  ];
  if (result.error)
    lines.push(
      `> **${result.status === 'interrupted' ? 'Interrupted' : 'Error'}:** ${cell(result.error)}`,
      '',
    );
  lines.push(
    `${checks.length} check${checks.length === 1 ? '' : 's'}: ${checks.length - failed} ok, ${failed} failed`,
    '',
  );
  if (checks.length > 0) {
    lines.push('| | Check | Measured | Threshold | Message |', '|---|---|---|---|---|');
    for (const check of checks) {
      lines.push(
        `| ${CHECK_ICON[check.status]} | ${cell(check.name)} | ${cell(formatMeasured(check))} | ${cell(check.threshold ?? '—')} | ${cell(check.message)}${check.runbook ? ` ([runbook](${check.runbook}))` : ''} |`,
      );
    }
    lines.push('');
  }
  if (result.load) {
    const l = result.load;
    lines.push(
      '### Load',
      '',
      '| Requests | RPS | Errors | p50 | p95 | p99 | max |',
      '|---|---|---|---|---|---|---|',
      `| ${l.requests} | ${l.rps.toFixed(1)} | ${l.errors} (${(l.errorRate * 100).toFixed(2)}%) | ${l.latencyMs.p50.toFixed(1)} ms | ${l.latencyMs.p95.toFixed(1)} ms | ${l.latencyMs.p99.toFixed(1)} ms | ${l.latencyMs.max.toFixed(1)} ms |`,
      '',
    );
  }
  if (result.stages.length > 0) {
    lines.push(
      '<details><summary>Stages</summary>',
      '',
      '| Stage | Status | Duration | Note |',
      '|---|---|---|---|',
    );
    for (const stage of result.stages) {
      lines.push(
        `| ${stage.name} | ${stage.status} | ${formatDuration(stage.durationMs)} | ${cell(stage.message ?? '')} |`,
      );
    }
    lines.push('', '</details>', '');
  }
  return lines.join('\n');
}
