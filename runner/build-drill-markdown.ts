import { formatDuration } from '../core/duration.ts';
import type { Check, DrillMilestone, DrillReport } from '../core/run-result.ts';

export interface DrillMarkdownInput {
  report: DrillReport;
  checks: readonly Check[];
  service: string;
  env: string;
  runId: string;
}

const ICON: Record<Check['status'], string> = { passed: '✅', failed: '❌', error: '⚠️', skipped: '⏭️' };
const TITLE: Record<DrillMilestone['name'], string> = {
  detection: 'Detection',
  response: 'Response',
  mitigation: 'Mitigation',
  resolution: 'Resolution',
};

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function offset(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? 'not reached' : `+${formatDuration(ms)}`;
}

function link(runbook: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(runbook) ? runbook : `file://${encodeURI(runbook)}`;
}

/**
 * drill.md: the drill as a post-incident report (the operations docs' template: timeline of detection,
 * response, mitigation, resolution; impact; root cause; action items), with the measured times filled
 * in and the action items left open for the people reviewing the drill. Pure.
 */
export function buildDrillMarkdown(input: DrillMarkdownInput): string {
  const { report } = input;
  const failed = input.checks.filter((c) => c.status === 'failed' || c.status === 'error');
  const verdict =
    failed.length === 0 ? '✅ passed' : `❌ failed (${failed.length} check${failed.length === 1 ? '' : 's'})`;
  const lines: string[] = [
    `## Incident Report: drill ${report.name} (${report.kind === 'alert' ? 'alert drill' : 'DR drill'})`,
    '',
    `**${input.service}** · env \`${input.env}\` · run \`${input.runId}\` · ${verdict}`,
    '',
  ];
  if (report.description) lines.push(`> ${report.description}`, '');

  lines.push('### Timeline', '');
  lines.push(
    `- Incident start (fault injected): ${report.incidentStartedAt ?? 'the fault was not injected'}`,
  );
  for (const m of report.milestones ?? []) {
    lines.push(`- ${TITLE[m.name]}: ${m.at ?? '[TIME]'} (${offset(m.atMs)}) — ${m.source}`);
  }
  lines.push('');

  lines.push('### Measured', '', '| Measure | Time | Objective |', '|---|---|---|');
  const objective = report.objectiveMs == null ? '—' : formatDuration(report.objectiveMs);
  if (report.kind === 'alert') {
    lines.push(`| Time to alarm | ${offset(report.timeToAlarmMs)} | — |`);
    lines.push(`| Time to notify | ${offset(report.timeToNotifyMs)} | — |`);
  } else {
    lines.push(`| Time to detect | ${offset(report.timeToDetectMs)} | — |`);
  }
  lines.push(`| Time to mitigate | ${offset(report.timeToMitigateMs)} | — |`);
  lines.push(
    `| Time to recover | ${offset(report.timeToRecoverMs)} | ${report.kind === 'dr' ? `RTO ${objective}` : `${objective} after the fault's end`} |`,
  );
  lines.push('');

  lines.push('### Impact', '');
  const { impact } = report;
  const rate =
    impact.requests > 0 ? ` (${((impact.failedRequests / impact.requests) * 100).toFixed(1)} %)` : '';
  lines.push(`- Duration: ${formatDuration(impact.durationMs)} (incident start to resolution)`);
  lines.push(`- Requests during the incident: ${impact.requests}; failed: ${impact.failedRequests}${rate}`);
  lines.push('- Users affected: [COUNT]');
  lines.push('- Revenue impact: [ESTIMATE]', '');

  lines.push('### Root Cause', '', report.rootCause ?? `injected by drill ${report.name}`, '');

  if (report.notifications && report.notifications.length > 0) {
    lines.push(
      '### Notifications',
      '',
      '| Alarm | State | Severity | Delivered | Route |',
      '|---|---|---|---|---|',
    );
    for (const n of report.notifications) {
      lines.push(`| ${cell(n.alarm)} | ${n.state} | ${n.severity} | ${offset(n.atMs)} | ${cell(n.route)} |`);
    }
    lines.push('');
  }

  if (report.runbooks && report.runbooks.length > 0) {
    lines.push('### Runbooks', '');
    for (const r of report.runbooks) lines.push(`- ${r.alarm}: [${r.runbook}](${link(r.runbook)})`);
    lines.push('');
  }

  lines.push('### Checks', '', '| | Check | Measured | Threshold | Message |', '|---|---|---|---|---|');
  for (const c of input.checks) {
    const measured =
      c.measured === null
        ? '—'
        : `${c.measured}${c.unit && typeof c.measured === 'number' ? ` ${c.unit}` : ''}`;
    lines.push(
      `| ${ICON[c.status]} | ${cell(c.name)} | ${cell(measured)} | ${cell(c.threshold ?? '—')} | ${cell(c.message)} |`,
    );
  }
  lines.push('');

  lines.push('### Action Items', '');
  for (const item of report.actionItems) lines.push(`- [ ] ${item}`);
  lines.push('');
  return lines.join('\n');
}
