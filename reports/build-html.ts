import { orderChecks, type RunResult } from '../core/run-result.ts';
import { formatDuration, formatMeasured } from './format-value.ts';

function html(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1d2127}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.verdict{display:inline-block;padding:.2rem .7rem;border-radius:4px;color:#fff;font-weight:600}
.passed{background:#1a7f37}.failed{background:#cf222e}.error{background:#9a6700}.interrupted{background:#57606a}.skipped{background:#8c959f}
.meta{color:#57606a}.err{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem .75rem;border-radius:4px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#f6f8fa}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.dot{display:inline-block;width:.7rem;height:.7rem;border-radius:50%}
`;

/** A self-contained HTML page: verdict, checks (failed first) with measured vs threshold, stages. */
export function buildHtml(result: RunResult): string {
  const checks = orderChecks(result.checks);
  const rows = checks
    .map(
      (c) =>
        `<tr><td><span class="dot ${c.status}" title="${c.status}"></span> ${html(c.status)}</td><td>${html(c.name)}<br><small class="meta">${html(c.id)}</small></td><td class="num">${html(formatMeasured(c))}</td><td class="num">${html(c.threshold ?? '—')}</td><td>${html(c.message)}${c.runbook ? ` <a href="${html(c.runbook)}">runbook</a>` : ''}</td></tr>`,
    )
    .join('\n');
  const stages = result.stages
    .map(
      (s) =>
        `<tr><td>${html(s.name)}</td><td><span class="dot ${s.status}"></span> ${html(s.status)}</td><td class="num">${html(formatDuration(s.durationMs))}</td><td>${html(s.message ?? '')}</td></tr>`,
    )
    .join('\n');
  const load = result.load
    ? `<h2>Load</h2><table><tr><th>Requests</th><th>RPS</th><th>Errors</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>
<tr><td class="num">${result.load.requests}</td><td class="num">${result.load.rps.toFixed(1)}</td><td class="num">${result.load.errors} (${(result.load.errorRate * 100).toFixed(2)}%)</td><td class="num">${result.load.latencyMs.p50.toFixed(1)} ms</td><td class="num">${result.load.latencyMs.p95.toFixed(1)} ms</td><td class="num">${result.load.latencyMs.p99.toFixed(1)} ms</td><td class="num">${result.load.latencyMs.max.toFixed(1)} ms</td></tr></table>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>opsproof ${html(result.command)} · ${html(result.service)} · ${html(result.status)}</title>
<style>${STYLE}</style></head>
<body>
<h1>opsproof ${html(result.command)} <span class="verdict ${result.status}">${html(result.status)}</span></h1>
<p class="meta">${html(result.service)} · env ${html(result.env)} (${html(result.provider)}) · target ${html(result.target ?? '—')} · ${html(formatDuration(result.durationMs))} · started ${html(result.startedAt)} · run ${html(result.runId)}</p>
${result.error ? `<p class="err"><strong>${result.status === 'interrupted' ? 'Interrupted' : 'Error'}:</strong> ${html(result.error)}</p>` : ''}
<h2>Checks (${checks.length})</h2>
${checks.length ? `<table><tr><th>Status</th><th>Check</th><th>Measured</th><th>Threshold</th><th>Message</th></tr>\n${rows}</table>` : '<p class="meta">No checks ran.</p>'}
${load}
<h2>Stages</h2>
${stages ? `<table><tr><th>Stage</th><th>Status</th><th>Duration</th><th>Note</th></tr>\n${stages}</table>` : '<p class="meta">No stages ran.</p>'}
<p class="meta">opsproof ${html(result.tool.version)} · result.json schema v${result.schemaVersion}</p>
</body></html>
`;
}
