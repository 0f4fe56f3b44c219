import type { TrendData, TrendRun } from './build-trend-data.ts';

/** The charting library's browser builds (reports/load-chart-assets.ts reads them), inlined as script text. */
export interface TrendChartAssets {
  chartJs: string;
}

// The trend page reuses report.html's look and its way of embedding data and scripts
// (reports/build-html.ts); history imports only core, so the few helpers are repeated here.
const escapeHtml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
const h = (value: string | number | null | undefined) =>
  value === null || value === undefined ? '—' : escapeHtml(String(value));
const embedJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
const inlineScript = (source: string) => source.replace(/<\/(script)/gi, '<\\/$1');
const num = (value: string | number | null | undefined) => `<td class="num">${h(value)}</td>`;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const seconds = (ms: number | null) => (ms === null ? null : `${round(ms / 1000, 1)} s`);
const badge = (status: string) => `<span class="badge ${escapeHtml(status)}">${escapeHtml(status)}</span>`;

/** A run's id, linked to its report.html when its directory is still there. */
function runLink(run: TrendRun): string {
  return run.href ? `<a href="${escapeHtml(run.href)}">${h(run.runId)}</a>` : h(run.runId);
}

function table(head: string[], rows: string[]): string {
  return `<div class="scroll"><table><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function chart(id: string, caption: string): string {
  return `<figure class="chart"><div class="canvas-box" style="height:260px"><canvas id="${id}" role="img" aria-label="${h(caption)}"></canvas></div><figcaption>${h(caption)}</figcaption></figure>`;
}

function buildLoad(data: TrendData): string {
  if (data.scenarios.length === 0)
    return '<section id="load"><h2>Load</h2><p class="meta">no load recorded</p></section>';
  const parts = data.scenarios.map((s, i) => {
    const rows = s.points.map(
      (p) =>
        `<tr><td>${h(p.run.at.replace('T', ' ').slice(0, 19))}</td><td>${runLink(p.run)}</td><td>${badge(p.run.status)}</td>${num(round(p.p50))}${num(round(p.p95))}${num(round(p.p99))}${num(`${round(p.errorRate * 100, 3)} %`)}${num(p.rps === null ? null : round(p.rps, 1))}</tr>`,
    );
    return `<div class="card"><h3>${h(s.key)}</h3>${chart(`trend-load-${i}`, `p50 / p95 / p99 latency (ms) and error rate (%) of ${s.key}, one point per run`)}
<details><summary>${s.points.length} runs</summary>${table(['started (UTC)', 'run', 'status', 'p50 ms', 'p95 ms', 'p99 ms', 'error rate', 'rps'], rows)}</details></div>`;
  });
  return `<section id="load"><h2>Load: percentiles and error rate per scenario</h2>${parts.join('')}</section>`;
}

function buildCanaries(data: TrendData): string {
  if (data.canaries.length === 0)
    return '<section id="canaries"><h2>Canaries</h2><p class="meta">no canary runs recorded</p></section>';
  const parts = data.canaries.map((c, i) => {
    const runs = c.points.map(
      (p) =>
        `<span class="dot ${escapeHtml(p.status)}" title="${h(`${p.run.runId} ${p.status} ${p.durationMs} ms`)}">${runLink(p.run)}</span>`,
    );
    return `<div class="card"><h3>${h(c.name)} <small class="meta">${h(c.env)} · ${c.passed}/${c.runs} passed · ${h(c.successPercent)} % success</small></h3>
${chart(`trend-canary-${i}`, `duration (ms) of canary ${c.name} per run, red when it failed, with its success rate over the last 5 runs`)}
<details><summary>${c.runs} runs</summary><p class="runs">${runs.join(' ')}</p></details></div>`;
  });
  return `<section id="canaries"><h2>Canaries: success rate and duration</h2>${parts.join('')}</section>`;
}

function buildDrills(data: TrendData): string {
  if (data.drills.length === 0)
    return '<section id="drills"><h2>Drills</h2><p class="meta">no drills recorded</p></section>';
  const parts = data.drills.map((d, i) => {
    const rows = d.points.map(
      (p) =>
        `<tr><td>${h(p.run.at.replace('T', ' ').slice(0, 19))}</td><td>${runLink(p.run)}</td><td>${badge(p.run.status)}</td>${num(seconds(p.timeToDetectMs))}${num(seconds(p.timeToAlarmMs))}${num(seconds(p.timeToRecoverMs))}</tr>`,
    );
    return `<div class="card"><h3>${h(d.name)} <small class="meta">${h(d.env)}</small></h3>${chart(`trend-drill-${i}`, `time to detect, alarm and recover (s) of drill ${d.name}, one point per drill`)}
${table(['started (UTC)', 'run', 'status', 'time to detect', 'time to alarm', 'time to recover'], rows)}</div>`;
  });
  return `<section id="drills"><h2>Drills: time to detect and recover</h2>${parts.join('')}</section>`;
}

function buildFlaky(data: TrendData): string {
  const rows = data.flaky.map((f) => {
    const runs = f.runs.map(
      (r) =>
        `<span class="dot ${escapeHtml(r.status)}" title="${h(`${r.run.runId} ${r.status}`)}">${runLink(r.run)}</span>`,
    );
    return `<tr><td><code>${h(f.checkId)}</code><br><small class="meta">${h(f.name)}</small></td><td>${h(f.env)}</td>${num(f.flips)}${num(`${f.failed}/${f.runs.length}`)}<td class="runs">${runs.join(' ')}</td></tr>`;
  });
  return `<section id="flaky"><h2>Flakiest checks</h2>${
    rows.length
      ? `<p class="meta">Checks whose outcome changed most often between consecutive runs (passed ↔ failed).</p>${table(['check', 'env', 'flips', 'failed / runs', 'runs (oldest first)'], rows)}`
      : '<p class="meta">no check changed outcome</p>'
  }</section>`;
}

function buildRuns(data: TrendData): string {
  const rows = [...data.runs]
    .reverse()
    .map(
      (r) =>
        `<tr><td>${h(r.at.replace('T', ' ').slice(0, 19))}</td><td>${runLink(r)}</td><td>${h(r.kind)}</td><td>${h(r.name)}</td><td>${h(r.env)}</td><td>${badge(r.status)}</td></tr>`,
    );
  return `<details id="runs"><summary><h2>Runs (${data.runs.length})</h2></summary>${table(['started (UTC)', 'run', 'kind', 'name', 'env', 'status'], rows)}</details>`;
}

const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg2:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--skip:#818b98}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:1.25rem 1.25rem 3rem;color:var(--fg);background:#fff}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.15rem;margin:2rem 0 .6rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}h3{font-size:1rem;margin:1rem 0 .4rem}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--bg2);padding:0 .25rem;border-radius:3px}
.meta{color:var(--muted)}small.meta{font-weight:400}
.badge{display:inline-block;min-width:4.6rem;text-align:center;padding:.05rem .45rem;border-radius:1rem;font-size:.78rem;font-weight:600;color:#fff;background:var(--skip)}
.badge.passed{background:var(--ok)}.badge.failed{background:var(--bad)}.badge.error{background:var(--warn)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.25rem 0 .75rem}
th,td{text-align:left;padding:.35rem .55rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg2);font-weight:600;white-space:nowrap}td.num{font-variant-numeric:tabular-nums;white-space:nowrap;text-align:right}
.card{border:1px solid var(--line);border-radius:8px;padding:.25rem .9rem .5rem;margin:.75rem 0}
.chart{margin:.5rem 0 1rem}.chart figcaption{color:var(--muted);font-size:.85rem;margin-top:.25rem}.canvas-box{position:relative;width:100%}
.no-js .chart{display:none}
.dot{display:inline-block;font-size:.75rem;padding:0 .3rem;border-radius:3px;margin:1px;border-left:4px solid var(--skip)}
.dot.passed{border-left-color:var(--ok)}.dot.failed{border-left-color:var(--bad)}
details>summary{cursor:pointer}details>summary h2{display:inline;border:0}
footer{margin-top:2rem;color:var(--muted);font-size:.85rem}
`;

/** Draws every trend chart from the embedded data; charts are kept on `window.opsproofCharts`. */
const CLIENT = `(function(){
"use strict";
document.documentElement.className='js';
var data=JSON.parse(document.getElementById('opsproof-trend').textContent);
var charts=window.opsproofCharts={};
if(typeof Chart==='undefined'){console.warn('Chart.js missing: charts not drawn');return;}
Chart.defaults.animation=false;Chart.defaults.maintainAspectRatio=false;Chart.defaults.color='#59636e';
Chart.defaults.font.family='system-ui,-apple-system,"Segoe UI",Roboto,sans-serif';Chart.defaults.font.size=12;
function label(run){return run.at.slice(5,16).replace('T',' ');}
function make(id,config){var c=document.getElementById(id);if(!c)return;try{charts[id]=new Chart(c,config);}catch(e){console.error('chart '+id+' failed: '+e.message);}}
function line(lbl,values,color,axis){return{label:lbl,data:values,borderColor:color,backgroundColor:color,pointRadius:3,borderWidth:2,spanGaps:true,yAxisID:axis||'y'};}
function open(points){return function(evt,els){if(!els.length)return;var r=points[els[0].index].run;if(r.href)window.location.href=r.href;};}
data.scenarios.forEach(function(s,i){
  make('trend-load-'+i,{type:'line',data:{labels:s.points.map(function(p){return label(p.run);}),datasets:[
    line('p99 (ms)',s.points.map(function(p){return p.p99;}),'#8250df'),
    line('p95 (ms)',s.points.map(function(p){return p.p95;}),'#bf3989'),
    line('p50 (ms)',s.points.map(function(p){return p.p50;}),'#0969da'),
    line('error rate (%)',s.points.map(function(p){return p.errorRate*100;}),'#cf222e','y2')]},
    options:{onClick:open(s.points),interaction:{mode:'index',intersect:false},scales:{y:{beginAtZero:true,title:{display:true,text:'latency (ms)'}},y2:{position:'right',beginAtZero:true,grid:{drawOnChartArea:false},title:{display:true,text:'error rate (%)'}}}}});
});
data.canaries.forEach(function(c,i){
  var rate=c.points.map(function(p,j){var w=c.points.slice(Math.max(0,j-4),j+1);return 100*w.filter(function(q){return q.status==='passed';}).length/w.length;});
  make('trend-canary-'+i,{type:'bar',data:{labels:c.points.map(function(p){return label(p.run);}),datasets:[
    {type:'bar',label:'duration (ms)',data:c.points.map(function(p){return p.durationMs;}),backgroundColor:c.points.map(function(p){return p.status==='passed'?'#4ac26b':'#cf222e';}),yAxisID:'y'},
    {type:'line',label:'success rate, last 5 runs (%)',data:rate,borderColor:'#0969da',backgroundColor:'#0969da',pointRadius:2,borderWidth:2,yAxisID:'y2'}]},
    options:{onClick:open(c.points),interaction:{mode:'index',intersect:false},scales:{y:{beginAtZero:true,title:{display:true,text:'duration (ms)'}},y2:{position:'right',min:0,max:100,grid:{drawOnChartArea:false},title:{display:true,text:'success (%)'}}}}});
});
data.drills.forEach(function(d,i){
  var s=function(v){return v===null?null:v/1000;};
  make('trend-drill-'+i,{type:'line',data:{labels:d.points.map(function(p){return label(p.run);}),datasets:[
    line('time to detect (s)',d.points.map(function(p){return s(p.timeToDetectMs);}),'#0969da'),
    line('time to alarm (s)',d.points.map(function(p){return s(p.timeToAlarmMs);}),'#bf8700'),
    line('time to recover (s)',d.points.map(function(p){return s(p.timeToRecoverMs);}),'#1a7f37')]},
    options:{onClick:open(d.points),interaction:{mode:'index',intersect:false},scales:{y:{beginAtZero:true,title:{display:true,text:'seconds since the fault'}}}}});
});
})();`;

/**
 * trend.html: one self-contained page (no network, Content-Security-Policy `default-src 'none'`):
 * load percentiles and error rate per scenario over runs, canary success and duration, drill TTD /
 * time to alarm / TTR over drills, the flakiest checks, every run linked to its report.html while
 * its directory exists. Tables carry the figures without JavaScript. Pure.
 */
export function buildTrendHtml(data: TrendData, assets?: TrendChartAssets): string {
  const scripts = assets
    ? `<script type="application/json" id="opsproof-trend">${embedJson(data)}</script>
<script>${inlineScript(assets.chartJs)}</script>
<script>${inlineScript(CLIENT)}</script>`
    : '';
  return `<!doctype html>
<html lang="en" class="no-js"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>opsproof trend · ${data.runs.length} runs</title>
<style>${STYLE}</style></head>
<body>
<header><h1>opsproof trend</h1><p class="meta">${data.runs.length} runs${data.since ? ` since ${h(data.since)}` : ''} · generated ${h(data.generatedAt)}</p></header>
${buildLoad(data)}
${buildCanaries(data)}
${buildDrills(data)}
${buildFlaky(data)}
${buildRuns(data)}
<footer>opsproof run history · oldest run first on every chart; click a point to open its run's report</footer>
${scripts}
</body></html>
`;
}
