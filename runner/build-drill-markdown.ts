import { buildDrillDeltas, formatDrillDelta, formatDrillFigure } from '../core/drill-delta.ts';
import { formatDuration } from '../core/duration.ts';
import type { Check, DrillMilestone, DrillReport, PreviousDrill } from '../core/run-result.ts';

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

/** A runbook's link target: a URL as it is, a path (relative to the run directory, where drill.md is) encoded. */
function link(runbook: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(runbook) ? runbook : encodeURI(runbook);
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

  const deltas = buildDrillDeltas(report);
  if (report.previous && deltas.length > 0) {
    lines.push(
      `### Compared with the previous drill (run \`${report.previous.runId}\`, ${report.previous.startedAt})`,
      '',
      '| Measure | This drill | Previous | Change |',
      '|---|---|---|---|',
    );
    for (const d of deltas) {
      lines.push(
        `| ${d.measure} | ${formatDrillFigure(d.now, d.unit)} | ${formatDrillFigure(d.previous, d.unit)} | ${formatDrillDelta(d)} |`,
      );
    }
    lines.push('');
  }

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
  if (report.previous?.actionItems.length) {
    lines.push(`Carried over from the previous drill (run \`${report.previous.runId}\`), still open:`, '');
  }
  for (const item of report.actionItems) lines.push(`- [ ] ${item}`);
  lines.push('');
  return lines.join('\n');
}

/**
 * The drill compared with the previous one of its name: `previous` set, and the previous drill's
 * open action items (not the template's placeholders, not already listed) carried first into this
 * drill's, so they follow every drill until someone closes them. Pure.
 */
export function withPreviousDrill(
  report: DrillReport,
  previous: PreviousDrill,
  placeholders: readonly string[],
): DrillReport {
  const carried = [...new Set(previous.actionItems)].filter(
    (item) => !placeholders.includes(item) && !report.actionItems.includes(item),
  );
  return {
    ...report,
    previous: { ...previous, actionItems: carried },
    actionItems: [...carried, ...report.actionItems],
  };
}

/**
 * The open action items of a drill.md: the unchecked `- [ ] …` lines of its Action Items section
 * (people tick `- [x]` what they closed). Undefined when the file has no such section.
 */
export function parseOpenActionItems(markdown: string): string[] | undefined {
  const start = markdown.indexOf('### Action Items');
  if (start < 0) return undefined;
  const section = markdown.slice(start).split('\n').slice(1);
  const end = section.findIndex((line) => /^#{1,3} /.test(line));
  return (end < 0 ? section : section.slice(0, end))
    .map((line) => /^\s*[-*] \[ \] (.+)$/.exec(line)?.[1]?.trim())
    .filter((item): item is string => Boolean(item));
}
