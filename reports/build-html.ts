/**
 * report.html as one pure string builder: header, checks, load charts, timeline, faults, canaries,
 * experiments, drill. One file, over 400 lines, because every section escapes through the same few
 * helpers, and keeping them together keeps the escaping of hostile text auditable in one place.
 */

import { buildDrillDeltas, formatDrillDelta, formatDrillFigure } from '../core/drill-delta.ts';
import { formatDuration } from '../core/duration.ts';
import type { TimelineRecord } from '../core/events.ts';
import {
  type CanaryRunResult,
  type Check,
  type ExperimentJournal,
  exitCodeForStatus,
  orderChecks,
  type RunResult,
} from '../core/run-result.ts';
import { buildChartData, type ChartData } from './build-chart-data.ts';
import { formatEvent } from './format-event.ts';
import { formatEvidence } from './format-evidence.ts';
import { formatSendLag } from './format-send-lag.ts';
import { formatCanaryName, formatMeasured, formatTargets, formatThreshold } from './format-value.ts';
import type { ChartAssets } from './load-chart-assets.ts';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const h = (value: string | number | null | undefined): string =>
  value === null || value === undefined ? '—' : escapeHtml(String(value));

/**
 * JSON inside `<script type="application/json">`: `<` is escaped so no value (a response snippet
 * holding `</script>`, say) can end the element; U+2028/9 for old parsers.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Script text inlined as-is; a literal `</script` would end the element early. */
function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

/** A link target we are willing to render: http(s) or a relative path, never `javascript:` & co. */
export function safeHref(url: string): string | undefined {
  const trimmed = url.trim();
  if (/^https?:\/\//i.test(trimmed)) return trimmed;
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed) || trimmed.startsWith('//')) return undefined;
  return trimmed;
}

/** A relative path inside the run directory (for images: never anything that leaves the machine). */
function relativeHref(path: string): string | undefined {
  const href = safeHref(path);
  return href && !/^https?:/i.test(href) && !href.startsWith('/') ? href : undefined;
}

function link(url: string, text: string): string {
  const href = safeHref(url);
  return href
    ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer">${escapeHtml(text)}</a>`
    : escapeHtml(text);
}

const EXIT_MEANING: Record<RunResult['status'], string> = {
  passed: 'every check passed',
  failed: 'a check failed (KPI, assertion, canary)',
  error: 'environment error: target unreachable, tool or credentials missing, or a cloud API failed',
  interrupted: 'interrupted; every fault was cleared before exiting',
};

const badge = (status: string) => `<span class="badge ${escapeHtml(status)}">${escapeHtml(status)}</span>`;
const num = (value: string | number | null | undefined) => `<td class="num">${h(value)}</td>`;
const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : formatDuration(value);
const clock = (iso: string) => iso.replace(/^.*T/, '').replace(/Z$/, '');
const runSecond = (seconds: number) => {
  const whole = Math.max(0, seconds);
  return `${Math.floor(whole / 60)}:${(whole % 60).toFixed(1).padStart(4, '0')}`;
};

function table(head: string[], rows: string[], className = ''): string {
  return `<div class="scroll"><table${className ? ` class="${className}"` : ''}><thead><tr>${head
    .map((c) => (c.startsWith('#') ? `<th class="num">${c.slice(1)}</th>` : `<th>${c}</th>`))
    .join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${title}</h2>\n${body}\n</section>`;
}

function chart(id: string, caption: string, height = 280): string {
  return `<figure class="chart"><div class="canvas-box" style="height:${height}px"><canvas id="${id}" role="img" aria-label="${escapeHtml(caption)}"></canvas></div><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function buildVerdict(result: RunResult, checks: Check[]): string {
  const count = (s: Check['status']) => checks.filter((c) => c.status === s).length;
  const code = exitCodeForStatus(result.status);
  return `<header class="verdict ${result.status}">
<div class="verdict-word">${h(result.status.toUpperCase())}</div>
<div class="verdict-text"><strong>exit ${code}</strong> — ${h(EXIT_MEANING[result.status])}<br>
<span class="counts">${count('passed')} passed · ${count('failed')} failed · ${count('error')} errors · ${count('skipped')} skipped</span></div>
</header>
<p class="meta">opsproof ${h(result.command)} · <strong>${h(result.service)}</strong> · env ${h(result.env)} (${h(result.provider)}) · ${result.targets ? `targets ${formatTargets(result.targets, h)}` : `target ${h(result.target)}`} · ${h(formatDuration(result.durationMs))} · started ${h(result.startedAt)} · run ${h(result.runId)}</p>
${result.error ? `<p class="err"><strong>${result.status === 'interrupted' ? 'Interrupted' : 'Error'}:</strong> ${h(result.error)}</p>` : ''}`;
}

function buildFailures(checks: Check[]): string {
  const failed = checks.filter((c) => c.status === 'failed' || c.status === 'error');
  if (failed.length === 0) return '';
  const cards = failed.map(
    (c) => `<div class="failure ${c.status}">
<div class="failure-head">${badge(c.status)} <strong>${h(c.name)}</strong> <small class="meta">${h(c.id)}</small></div>
<div class="versus"><span>measured <b>${h(formatMeasured(c))}</b></span><span>threshold <b>${h(formatThreshold(c))}</b></span>${c.runbook ? `<span>${link(c.runbook, 'runbook')}</span>` : ''}</div>
<div class="message">${h(c.message)}</div>${c.evidence ? `\n<div class="meta">evidence: ${h(formatEvidence(c.evidence))}</div>` : ''}
</div>`,
  );
  return section('failures', `Failed checks (${failed.length})`, cards.join('\n'));
}

function buildChecks(checks: Check[]): string {
  if (checks.length === 0) return section('checks', 'Checks', '<p class="meta">No checks ran.</p>');
  const rows = checks.map(
    (c) =>
      `<tr class="row-${c.status}"><td>${badge(c.status)}</td><td>${h(c.kind)}</td><td title="${h(c.id)}">${h(c.name)}</td>${num(formatMeasured(c))}${num(formatThreshold(c))}<td class="small">${h(c.message)}${c.evidence ? `<br><small class="meta">${h(formatEvidence(c.evidence))}</small>` : ''}${c.runbook ? ` · ${link(c.runbook, 'runbook')}` : ''}</td></tr>`,
  );
  return section(
    'checks',
    `Checks (${checks.length})`,
    table(['Status', 'Kind', 'Check', '#Measured', '#Threshold', 'Message'], rows),
  );
}

function buildDrill(result: RunResult, data: ChartData): string {
  const drill = result.drill;
  if (!drill) return '';
  const objective = drill.objectiveMs ?? null;
  const rows = (
    [
      ['Detected', drill.timeToDetectMs],
      ['Alarm fired', drill.timeToAlarmMs],
      ['Mitigated', drill.timeToMitigateMs],
      ['Recovered', drill.timeToRecoverMs],
    ] as const
  ).map(([label, value]) => {
    const verdict =
      label === 'Recovered' && objective !== null && value !== null
        ? value <= objective
          ? badge('passed')
          : badge('failed')
        : '';
    return `<tr><td>${label}</td>${num(ms(value))}<td>${verdict}</td></tr>`;
  });
  const items = drill.actionItems.length
    ? `<ul>${drill.actionItems.map((i) => `<li>${h(i)}</li>`).join('')}</ul>`
    : '<p class="meta">None recorded — fill in after the review.</p>';
  return section(
    'drill',
    `Drill: ${h(drill.name)} (${h(drill.kind)})`,
    `<p>Times are measured from the start of the incident (fault injected). Objective (RTO): <b>${h(ms(objective))}</b>.</p>
${data.drill.length ? chart('chart-drill', 'Drill milestones (time since the fault was injected); the line is the objective', 200) : ''}
${table(['Milestone', '#Time since incident start', 'vs objective'], rows)}
<h3>Impact</h3>
${table(['#Requests', '#Failed requests', '#Duration'], [`<tr>${num(drill.impact.requests)}${num(drill.impact.failedRequests)}${num(ms(drill.impact.durationMs))}</tr>`])}
${buildDrillComparison(drill)}
<h3>Action items</h3>
${items}`,
  );
}

/** Drill over drill: each measure next to the previous drill's, with the change. */
function buildDrillComparison(drill: NonNullable<RunResult['drill']>): string {
  if (!drill.previous) return '';
  const rows = buildDrillDeltas(drill).map(
    (d) =>
      `<tr><td>${h(d.measure)}</td>${num(formatDrillFigure(d.now, d.unit))}${num(formatDrillFigure(d.previous, d.unit))}${num(formatDrillDelta(d))}</tr>`,
  );
  const carried = drill.previous.actionItems.length
    ? `<p class="meta">${drill.previous.actionItems.length} action item(s) below carried over from that drill, still open.</p>`
    : '';
  return `<h3>Compared with the previous drill</h3>
<p class="meta">run ${h(drill.previous.runId)} · ${h(drill.previous.startedAt)}</p>
${table(['Measure', '#This drill', '#Previous', '#Change'], rows)}${carried}`;
}

function buildLoad(result: RunResult, data: ChartData): string {
  const load = result.load;
  const hasSeries = data.latency.p99.length > 0;
  if (!load && !hasSeries && data.faults.length === 0 && data.alarms.length === 0) return '';
  const parts: string[] = [];
  if (load) {
    const l = load.latencyMs;
    parts.push(
      `<p class="meta">profile ${h(load.profile)} · engine ${h(load.engine)} (${h(load.model)} model) · target ${load.targetName ? `${h(load.targetName)} ` : ''}${h(load.target)} · ${h(formatDuration(load.durationMs))}${load.interrupted ? ' · <strong>interrupted</strong>: the figures cover only what ran' : ''}</p>`,
      table(
        ['#Requests', '#RPS', '#Errors', '#Dropped', '#p50', '#p90', '#p95', '#p99', '#p99.9', '#max'],
        [
          `<tr>${num(load.requests)}${num(load.rps.toFixed(1))}${num(`${load.errors} (${(load.errorRate * 100).toFixed(2)}%)`)}${num(load.dropped)}${[l.p50, l.p90, l.p95, l.p99, l.p999, l.max].map((v) => num(`${v.toFixed(1)} ms`)).join('')}</tr>`,
        ],
      ),
    );
    const sendLag = formatSendLag(result);
    if (sendLag) parts.push(`<p class="meta">${h(sendLag)}</p>`);
    if (load.scenarios?.length) {
      parts.push(
        '<h3>Scenarios</h3>',
        table(
          ['Scenario', '#Requests', '#Errors', '#p50', '#p95', '#p99', '#max'],
          load.scenarios.map(
            (s) =>
              `<tr><td>${h(s.name)}</td>${num(s.requests)}${num(`${s.errors} (${(s.errorRate * 100).toFixed(2)}%)`)}${[s.latencyMs.p50, s.latencyMs.p95, s.latencyMs.p99, s.latencyMs.max].map((v) => num(`${v.toFixed(1)} ms`)).join('')}</tr>`,
          ),
        ),
      );
    }
    const codes = Object.entries(load.statusCodes);
    if (codes.length) {
      parts.push(
        `<p class="meta">Status codes: ${codes.map(([code, n]) => `<code>${h(code)}</code> × ${h(n)}`).join(' · ')}</p>`,
      );
    }
  }
  if (hasSeries) {
    parts.push(
      '<div class="charts">',
      chart(
        'chart-latency',
        'Latency p50 / p99 per second (ms) — red boxes: fault windows, vertical lines: alarm transitions',
      ),
      chart('chart-throughput', 'Requests and errors per second — same fault windows and alarm transitions'),
      '</div>',
    );
  }
  if (data.distribution) {
    parts.push(
      chart(
        'chart-histogram',
        data.distribution.source === 'hdr'
          ? 'Latency histogram: requests per latency bucket (ms, log-spaced buckets, from the HDR histogram)'
          : 'Latency distribution: percentiles (ms) — no HDR histogram in this result',
        240,
      ),
    );
  }
  if (data.faults.length) {
    parts.push(
      '<h3>Fault windows</h3>',
      table(
        ['Fault', '#From (run time)', '#To', '#Duration'],
        data.faults.map(
          (f) =>
            `<tr><td>${h(f.label)}</td>${num(runSecond(f.start))}${num(f.ended ? runSecond(f.end) : 'not ended')}${num(formatDuration((f.end - f.start) * 1000))}</tr>`,
        ),
      ),
    );
  }
  const transitions = result.timeline.filter(
    (r): r is Extract<TimelineRecord, { type: 'alarm.state' }> => r.type === 'alarm.state',
  );
  if (transitions.length) {
    parts.push(
      '<h3>Alarm transitions</h3>',
      table(
        ['#At (run time)', 'Alarm', 'From → to', 'Reason'],
        transitions.map(
          (a) =>
            `<tr>${num(runSecond(a.t / 1000))}<td>${h(a.alarm)}</td><td>${h(a.from)} → <span class="badge ${a.to === 'ALARM' ? 'failed' : a.to === 'OK' ? 'passed' : 'skipped'}">${h(a.to)}</span></td><td class="small">${h(a.reason)}</td></tr>`,
        ),
      ),
    );
  }
  return section('load', 'Load, faults and alarms', parts.join('\n'));
}

function buildExpectations(result: RunResult): string {
  const expectations = result.expectations ?? [];
  if (expectations.length === 0) return '';
  const rows = expectations.map(
    (e) =>
      `<tr class="row-${e.status}"><td>${badge(e.status)}</td><td>${h(e.name)}${e.experiment ? `<br><small class="meta">experiment ${h(e.experiment)}</small>` : ''}</td>${num(ms(e.measuredMs))}${num(ms(e.deadlineMs))}<td>${h(e.after)}</td><td class="small">${h(e.message)}${e.evidence ? `<br><small class="meta">${h(formatEvidence(e.evidence))}</small>` : ''}${e.runbook ? ` · ${link(e.runbook, 'runbook')}` : ''}</td></tr>`,
  );
  return section(
    'expectations',
    `Expectations (${expectations.length})`,
    `${chart('chart-expectations', 'Measured time vs deadline per expectation (seconds)', Math.max(160, 46 * expectations.length + 60))}
${table(['Status', 'Expectation', '#Measured', '#Deadline', 'After', 'Message'], rows)}`,
  );
}

const IMAGE = /\.(png|jpe?g|webp|gif)$/i;

function stepArtifacts(canary: CanaryRunResult, paths: readonly string[]): string {
  return paths
    .map((path) => {
      const href = relativeHref(path);
      if (!href) return h(path);
      return IMAGE.test(path)
        ? `<a href="${escapeHtml(href)}"><img class="thumb" src="${escapeHtml(href)}" alt="${escapeHtml(`${canary.name}: ${path}`)}" loading="lazy"></a>`
        : `<a href="${escapeHtml(href)}">${h(path)}</a>`;
    })
    .join(' ');
}

/** One row per step, the canary run named on its first row (a run with no steps still gets a row). */
function canaryRows(canary: CanaryRunResult): string[] {
  const head = `<td rowspan="${Math.max(1, canary.steps.length)}">${badge(canary.status)} <b>${h(formatCanaryName(canary))}</b><br><small class="meta">${h(canary.type)}${canary.targetName ? ` → ${h(canary.targetName)}` : ''} · ${h(canary.stage ?? '')} · ${h(ms(canary.durationMs))} · ${canary.attempts} attempt${canary.attempts === 1 ? '' : 's'}</small>${canary.error ? `<div class="small err-text">${h(canary.error)}</div>` : ''}</td>`;
  if (canary.steps.length === 0)
    return [`<tr class="group">${head}<td colspan="5" class="meta">no steps ran</td></tr>`];
  return canary.steps.map(
    (step, index) =>
      `<tr class="${index === 0 ? 'group ' : ''}row-${step.status}">${index === 0 ? head : ''}<td>${h(step.name)}</td><td>${badge(step.status)}</td>${num(ms(step.durationMs))}<td class="small">${h(step.error ?? '')}</td><td>${stepArtifacts(canary, step.artifacts ?? [])}</td></tr>`,
  );
}

function buildCanaries(result: RunResult): string {
  const canaries = result.canaries ?? [];
  if (canaries.length === 0) return '';
  return section(
    'canaries',
    `Canaries (${canaries.length} runs)`,
    table(
      ['Canary', 'Step', 'Status', '#Duration', 'Error', 'Screenshots / artifacts'],
      canaries.flatMap(canaryRows),
      'canaries',
    ),
  );
}

function buildJournal(journal: ExperimentJournal): string {
  const rows = journal.activities.map(
    (a) =>
      `<tr class="row-${a.status === 'succeeded' ? 'passed' : a.status === 'failed' ? 'failed' : 'skipped'}"><td>${h(a.name)}<br><small class="meta">${h(a.actionId)}</small></td><td>${h(a.status)}</td>${num(clock(a.startedAt))}${num(clock(a.endedAt))}${num(ms(a.durationMs))}<td class="small">${h(a.output ?? '')}</td><td class="small">${h(a.error ?? '')}</td></tr>`,
  );
  const statusClass = journal.status === 'completed' ? (journal.deviated ? 'failed' : 'passed') : 'error';
  return `<div class="card"><h3><span class="badge ${statusClass}">${h(journal.status)}</span> ${h(journal.experiment)} <small class="meta">${h(journal.engine)}${journal.dryRun ? ' · dry run' : ''} · ${h(ms(journal.durationMs))} · ${h(journal.startedAt)} → ${h(journal.endedAt)}</small></h3>
<p>deviated: <b>${journal.deviated ? 'yes — the steady state or an expectation did not hold' : 'no'}</b>${journal.stoppedBy ? ` · stopped by <b>${h(journal.stoppedBy)}</b>` : ''}${journal.fisExperimentId ? ` · FIS experiment <code>${h(journal.fisExperimentId)}</code>` : ''}</p>
${journal.error ? `<p class="err">${h(journal.error)}</p>` : ''}
${table(['Activity', 'Status', '#Start', '#End', '#Duration', 'Output', 'Error'], rows)}</div>`;
}

function buildExperiments(result: RunResult): string {
  const experiments = result.experiments ?? [];
  if (experiments.length === 0) return '';
  return section(
    'experiments',
    `Experiment journals (${experiments.length})`,
    experiments.map(buildJournal).join('\n'),
  );
}

function buildStages(result: RunResult): string {
  if (result.stages.length === 0) return section('stages', 'Stages', '<p class="meta">No stages ran.</p>');
  return section(
    'stages',
    'Stages',
    table(
      ['Stage', 'Status', '#Started', '#Duration', 'Note'],
      result.stages.map(
        (s) =>
          `<tr><td>${h(s.name)}</td><td>${badge(s.status)}</td>${num(clock(s.startedAt))}${num(formatDuration(s.durationMs))}<td>${h(s.message ?? '')}</td></tr>`,
      ),
    ),
  );
}

/** Rows beyond this are left out of the raw timeline (result.json has them all). */
const TIMELINE_ROWS = 5000;

function describeRecord(record: TimelineRecord): string {
  const { t: _t, at: _at, type: _type, ...rest } = record;
  return formatEvent(record) ?? JSON.stringify(rest);
}

function buildTimeline(result: RunResult): string {
  const records = result.timeline.slice(0, TIMELINE_ROWS);
  const more = result.timeline.length - records.length;
  return `<section id="timeline"><details><summary><h2>Timeline (${result.timeline.length} events)</h2></summary>
${table(
  ['#Run time', '#Wall clock', 'Event', 'Details'],
  records.map(
    (r) =>
      `<tr>${num(runSecond(r.t / 1000))}${num(clock(r.at))}<td><code>${h(r.type)}</code></td><td class="small">${h(describeRecord(r))}</td></tr>`,
  ),
  'timeline',
)}
${more > 0 ? `<p class="meta">${more} more events are in result.json.</p>` : ''}
</details></section>`;
}

function buildArtifacts(result: RunResult): string {
  if (result.artifacts.length === 0) return '';
  return section(
    'artifacts',
    'Artifacts',
    `<ul>${result.artifacts
      .map((a) => {
        const href = relativeHref(a.path);
        return `<li>${href ? `<a href="${escapeHtml(href)}">${h(a.name)}</a>` : h(a.name)} <small class="meta">${h(a.kind)} · ${h(a.path)}</small></li>`;
      })
      .join('')}</ul>`,
  );
}

const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg2:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--skip:#818b98}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:1.25rem 1.25rem 3rem;color:var(--fg);background:#fff}
h2{font-size:1.15rem;margin:2rem 0 .6rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1.2rem 0 .4rem}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--bg2);padding:0 .25rem;border-radius:3px}
.verdict{display:flex;align-items:center;gap:1.25rem;padding:1rem 1.25rem;border-radius:8px;color:#fff}
.verdict-word{font-size:2rem;font-weight:800;letter-spacing:.04em}
.verdict-text{font-size:1rem}.verdict .counts{opacity:.92;font-size:.9rem}
.verdict.passed{background:var(--ok)}.verdict.failed{background:var(--bad)}.verdict.error{background:var(--warn)}.verdict.interrupted{background:#57606a}
.meta{color:var(--muted)}small.meta{font-weight:400}
.err{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem .75rem;border-radius:6px}
.badge{display:inline-block;min-width:4.6rem;text-align:center;padding:.05rem .45rem;border-radius:1rem;font-size:.78rem;font-weight:600;color:#fff;background:var(--skip)}
.badge.passed{background:var(--ok)}.badge.failed{background:var(--bad)}.badge.error{background:var(--warn)}.badge.skipped,.badge.interrupted{background:var(--skip)}
.failure{border:1px solid var(--line);border-left:5px solid var(--bad);border-radius:6px;padding:.6rem .8rem;margin:.5rem 0;background:#fff5f5}
.failure.error{border-left-color:var(--warn);background:#fffbeb}
.failure .versus{display:flex;gap:1.5rem;margin:.3rem 0;font-variant-numeric:tabular-nums}
.failure .message{color:var(--muted)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.25rem 0 .75rem}
th,td{text-align:left;padding:.35rem .55rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg2);font-weight:600;white-space:nowrap}th.num{text-align:right}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap;text-align:right}
td.small{font-size:.85rem;color:var(--muted);max-width:38rem;overflow-wrap:anywhere}
tr.row-failed td:first-child,tr.row-error td:first-child{box-shadow:inset 3px 0 var(--bad)}
table.canaries tr.group td{border-top:2px solid var(--line)}table.canaries td[rowspan]{width:16rem;background:#fcfcfd}.err-text{color:var(--bad)}
.card{border:1px solid var(--line);border-radius:8px;padding:.25rem .9rem .5rem;margin:.75rem 0}
.charts{display:grid;grid-template-columns:1fr;gap:.75rem}
.chart{margin:.5rem 0 1rem}.chart figcaption{color:var(--muted);font-size:.85rem;margin-top:.25rem}
.canvas-box{position:relative;width:100%}
.no-js .chart{display:none}
img.thumb{width:160px;max-height:120px;object-fit:cover;object-position:top;border:1px solid var(--line);border-radius:4px}
details>summary{cursor:pointer}details>summary h2{display:inline;border:0}
footer{margin-top:2rem;color:var(--muted);font-size:.85rem}
`;

/**
 * Draws the charts from the embedded data with Chart.js. Runs after Chart.js and the annotation
 * plugin; every chart is kept on `window.opsproofCharts` so tests can see it exists.
 */
const CLIENT = `(function(){
"use strict";
document.documentElement.className='js';
var data=JSON.parse(document.getElementById('opsproof-data').textContent);
var charts=window.opsproofCharts={};
if(typeof Chart==='undefined'){console.warn('Chart.js missing: charts not drawn');return;}
if(window['chartjs-plugin-annotation'])Chart.register(window['chartjs-plugin-annotation']);
Chart.defaults.animation=false;
Chart.defaults.font.family='system-ui,-apple-system,"Segoe UI",Roboto,sans-serif';
Chart.defaults.font.size=12;
Chart.defaults.color='#59636e';
Chart.defaults.maintainAspectRatio=false;
function clock(s){s=Math.max(0,s);var m=Math.floor(s/60),r=Math.round(s%60);return m+':'+(r<10?'0':'')+r;}
function timeAxis(){return{type:'linear',min:0,max:data.timeEnd,title:{display:true,text:'run time (m:ss)'},ticks:{callback:function(v){return clock(v);},maxTicksLimit:14}};}
var ALARM_COLOR={ALARM:'#cf222e',OK:'#1a7f37'};
function marks(withLabels){
  var out={};
  data.faults.forEach(function(f,i){
    out['fault'+i]={type:'box',xMin:f.start,xMax:f.end,backgroundColor:'rgba(255,129,130,0.16)',borderColor:'rgba(207,34,46,0.35)',borderWidth:1,
      label:{display:withLabels,content:f.label.length>48?f.label.slice(0,47)+'…':f.label,position:{x:'start',y:'end'},color:'#82071e',font:{size:10,weight:'bold'},padding:3}};
  });
  var labelled=0;
  data.alarms.forEach(function(a,i){
    var key=a.to==='ALARM'||a.from==='ALARM';
    out['alarm'+i]={type:'line',xMin:a.x,xMax:a.x,borderColor:ALARM_COLOR[a.to]||'#8c959f',borderWidth:key?2:1,borderDash:a.to==='ALARM'?[]:[5,4],
      label:{display:withLabels&&key,content:a.alarm+' → '+a.to,position:(labelled++%2)?'center':'end',backgroundColor:ALARM_COLOR[a.to]||'#57606a',color:'#fff',font:{size:10},padding:3}};
  });
  return out;
}
function make(id,config){
  var canvas=document.getElementById(id);
  if(!canvas)return;
  try{charts[id]=new Chart(canvas,config);}catch(e){console.error('chart '+id+' failed: '+e.message);}
}
var lat=data.latency.p99.concat(data.latency.p50).map(function(p){return p.y;}).filter(function(y){return y!==null&&y>0;});
var logScale=lat.length>0&&Math.max.apply(null,lat)/Math.max(0.01,Math.min.apply(null,lat))>50;
make('chart-latency',{type:'line',data:{datasets:[
  {label:'p99 (ms)',data:data.latency.p99,borderColor:'#8250df',backgroundColor:'#8250df',pointRadius:0,borderWidth:2,spanGaps:false},
  {label:'p50 (ms)',data:data.latency.p50,borderColor:'#0969da',backgroundColor:'#0969da',pointRadius:0,borderWidth:2,spanGaps:false}]},
  options:{parsing:false,interaction:{mode:'nearest',axis:'x',intersect:false},scales:{x:timeAxis(),y:{type:logScale?'logarithmic':'linear',min:logScale?Math.pow(10,Math.floor(Math.log10(Math.min.apply(null,lat)))):undefined,max:logScale?Math.pow(10,Math.ceil(Math.log10(Math.max.apply(null,lat)*1.2))):undefined,beginAtZero:!logScale,title:{display:true,text:'latency (ms)'+(logScale?', log scale':'')}}},plugins:{annotation:{annotations:marks(true)}}}});
make('chart-throughput',{type:'line',data:{datasets:[
  {label:'requests/s',data:data.throughput.rps,borderColor:'#1a7f37',backgroundColor:'#1a7f37',pointRadius:0,borderWidth:2,spanGaps:false},
  {label:'errors/s',data:data.throughput.errors,borderColor:'#cf222e',backgroundColor:'#cf222e',pointRadius:0,borderWidth:2,spanGaps:false}]},
  options:{parsing:false,interaction:{mode:'nearest',axis:'x',intersect:false},scales:{x:timeAxis(),y:{beginAtZero:true,title:{display:true,text:'per second'}}},plugins:{annotation:{annotations:marks(false)}}}});
var dist=data.distribution;
if(dist){
  var hdr=dist.source==='hdr';
  var labels=hdr?dist.buckets.map(function(b){return b.fromMs<10?b.fromMs.toFixed(2):b.fromMs<100?b.fromMs.toFixed(1):Math.round(b.fromMs)+'';}):dist.percentiles.map(function(p){return p.label;});
  var values=hdr?dist.buckets.map(function(b){return b.count;}):dist.percentiles.map(function(p){return p.ms;});
  make('chart-histogram',{type:'bar',data:{labels:labels,datasets:[{label:hdr?'requests':'latency (ms)',data:values,backgroundColor:'#54aeff',borderColor:'#0969da',borderWidth:1}]},
    options:{plugins:{legend:{display:false},tooltip:{callbacks:{title:function(items){var i=items[0].dataIndex;return hdr?dist.buckets[i].fromMs+'–'+dist.buckets[i].toMs+' ms':dist.percentiles[i].label;}}}},
      scales:{x:{title:{display:true,text:hdr?'latency bucket, from (ms)':'percentile'}},y:{beginAtZero:true,title:{display:true,text:hdr?'requests':'ms'}}}}});
}
if(data.expectations.length){
  var colors={passed:'#1a7f37',failed:'#cf222e',error:'#9a6700',skipped:'#8c959f'};
  make('chart-expectations',{type:'bar',data:{labels:data.expectations.map(function(e){return e.name.length>60?e.name.slice(0,59)+'…':e.name;}),datasets:[
    {label:'measured (s)',data:data.expectations.map(function(e){return e.measuredMs===null?null:e.measuredMs/1000;}),backgroundColor:data.expectations.map(function(e){return colors[e.status];})},
    {label:'deadline (s)',data:data.expectations.map(function(e){return e.deadlineMs===null?null:e.deadlineMs/1000;}),backgroundColor:'rgba(140,149,159,0.35)',borderColor:'#8c959f',borderWidth:1}]},
    options:{indexAxis:'y',scales:{x:{beginAtZero:true,title:{display:true,text:'seconds after the anchor event'}},y:{ticks:{autoSkip:false,font:{size:11}}}}}});
}
if(data.drill.length){
  var ann={};
  if(data.drillObjectiveMs!==null)ann.objective={type:'line',xMin:data.drillObjectiveMs/1000,xMax:data.drillObjectiveMs/1000,borderColor:'#cf222e',borderWidth:2,borderDash:[6,4],label:{display:true,content:'objective '+(data.drillObjectiveMs/1000)+' s',position:'start',backgroundColor:'#cf222e',font:{size:10}}};
  make('chart-drill',{type:'bar',data:{labels:data.drill.map(function(d){return d.label;}),datasets:[{label:'seconds since fault injected',data:data.drill.map(function(d){return d.ms/1000;}),backgroundColor:'#0969da'}]},
    options:{indexAxis:'y',plugins:{legend:{display:false},annotation:{annotations:ann}},scales:{x:{beginAtZero:true,suggestedMax:data.drillObjectiveMs!==null?data.drillObjectiveMs/1000*1.1:undefined,title:{display:true,text:'seconds since the fault was injected'}}}}});
}
})();`;

/**
 * report.html: one self-contained page (no network references). Verdict first, then failed checks,
 * every check, drill, load with its charts, expectations, canaries, experiment journals, stages and
 * the raw timeline. Tables carry everything, so the page reads without JavaScript; with `assets`
 * the charts are drawn by the inlined Chart.js from data embedded as JSON. Pure.
 */
export function buildHtml(result: RunResult, assets?: ChartAssets): string {
  const checks = orderChecks(result.checks);
  const data = buildChartData(result);
  const scripts = assets
    ? `<script type="application/json" id="opsproof-data">${embedJson(data)}</script>
<script>${inlineScript(assets.chartJs)}</script>
<script>${inlineScript(assets.annotationJs)}</script>
<script>${inlineScript(CLIENT)}</script>`
    : '';
  return `<!doctype html>
<html lang="en" class="no-js"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' file: data:">
<title>opsproof ${h(result.command)} · ${h(result.service)} · ${h(result.status)}</title>
<style>${STYLE}</style></head>
<body>
${buildVerdict(result, checks)}
${buildFailures(checks)}
${buildDrill(result, data)}
${buildChecks(checks)}
${buildLoad(result, data)}
${buildExpectations(result)}
${buildCanaries(result)}
${buildExperiments(result)}
${buildStages(result)}
${buildArtifacts(result)}
${buildTimeline(result)}
<footer>opsproof ${h(result.tool.version)} · result.json schema v${result.schemaVersion} · ${h(result.startedAt)} → ${h(result.endedAt)}</footer>
${scripts}
</body></html>
`;
}
