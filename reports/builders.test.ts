import { describe, expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { HOSTILE, sampleDrill, sampleResult } from '../test-support/sample-result.ts';
import { buildChartData } from './build-chart-data.ts';
import { buildHtml, embedJson, safeHref } from './build-html.ts';
import { buildJson } from './build-json.ts';
import { buildJunit, escapeXml } from './build-junit.ts';
import { buildMarkdown, buildRepositoryLinkBase } from './build-markdown.ts';
import { formatSummary, shouldUseColor } from './format-summary.ts';
import { formatCanaryName, formatMeasured, formatThreshold } from './format-value.ts';
import { loadChartAssets } from './load-chart-assets.ts';

/** Run ids, timestamps and durations vary between runs; snapshots keep only the structure. */
function scrub(text: string): string {
  return text
    .replace(/\d{8}T\d{6}Z-[0-9a-f]{4}/g, '<run-id>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>');
}

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict little XML reader for the JUnit output: well-formed tags, quoted attributes, only the
 * five predefined entities, one root. Throws on anything else.
 */
function parseXml(source: string): XmlElement {
  const body = source.replace(/^<\?xml[^?]*\?>\s*/, '');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(body)) throw new Error('invalid XML character');
  const entity = /&(?!(amp|lt|gt|quot|apos);)/;
  const root: XmlElement = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  const token = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let consumed = 0;
  for (let match = token.exec(body); match !== null; match = token.exec(body)) {
    consumed = token.lastIndex;
    const [, closing, name, attrText, selfClosing, text] = match;
    const top = stack.at(-1);
    if (!top) throw new Error('unbalanced');
    if (text !== undefined) {
      if (entity.test(text)) throw new Error(`bare & in text: ${text.slice(0, 40)}`);
      top.text += text;
      continue;
    }
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const [, key, value] of (attrText ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (entity.test(value ?? '')) throw new Error(`bare & in attribute ${key}`);
      if (key && key in attrs) throw new Error(`duplicate attribute ${key}`);
      attrs[key ?? ''] = value ?? '';
    }
    const element: XmlElement = { name: name ?? '', attrs, children: [], text: '' };
    top.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (consumed !== body.length)
    throw new Error(`not XML at offset ${consumed}: ${body.slice(consumed, consumed + 40)}`);
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)?.name}>`);
  if (root.children.length !== 1 || root.text.trim() !== '') throw new Error('not exactly one root element');
  return root.children[0] as XmlElement;
}

const all = (element: XmlElement, name: string): XmlElement[] =>
  element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...all(child, name)]);

describe('buildJson', () => {
  test('round-trips the RunResult', () => {
    const result = sampleResult();
    expect(JSON.parse(buildJson(result))).toEqual(result);
  });
});

describe('buildChartData', () => {
  const data = buildChartData(sampleResult());

  test('load seconds on the run clock from load.tick, faults and alarms on the same axis', () => {
    expect(data.latency.p99).toHaveLength(20);
    expect(data.latency.p99[0]).toEqual({ x: 2, y: 6 + (1 % 3) });
    expect(data.throughput.errors.find((p) => p.x === 9)?.y).toBe(5);
    expect(data.faults).toEqual([
      { faultId: 'f1', label: 'api-latency: latency:ms=300,percent=100', start: 8, end: 14, ended: true },
    ]);
    expect(data.alarms.map((a) => `${a.x}:${a.alarm}:${a.to}`)).toEqual([
      '11:HighLatencyP99:ALARM',
      '17:HighLatencyP99:OK',
    ]);
    expect(data.timeEnd).toBe(21.5);
  });

  test('the HDR histogram is decoded into buckets holding every request', () => {
    expect(data.distribution?.source).toBe('hdr');
    const buckets = data.distribution?.buckets ?? [];
    expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(500);
    expect(buckets[0]?.fromMs).toBeCloseTo(2, 1);
    expect(buckets.at(-1)?.toMs).toBeGreaterThanOrEqual(590);
  });

  test.each([
    ['no histogram', undefined],
    ['a damaged histogram', 'HISTFAAAAnotreally'],
  ])('%s: the percentiles are drawn instead', (_, histogram) => {
    const base = sampleResult();
    const load = { ...base.load, histogram } as NonNullable<RunResult['load']>;
    const out = buildChartData({ ...base, load });
    expect(out.distribution?.source).toBe('percentiles');
    expect(out.distribution?.percentiles.map((p) => p.label)).toEqual([
      'min',
      'p50',
      'p90',
      'p95',
      'p99',
      'p99.9',
      'max',
    ]);
  });

  test('without ticks, load.series is placed at its load.start', () => {
    const base = sampleResult();
    const out = buildChartData({ ...base, timeline: base.timeline.filter((r) => r.type !== 'load.tick') });
    expect(out.latency.p50[0]).toEqual({ x: 2, y: 4 });
    expect(out.latency.p50).toHaveLength(20);
  });

  test('separate load runs are not joined by a line', () => {
    const base = sampleResult();
    const ticks = base.timeline.filter((r) => r.type === 'load.tick');
    const later = ticks.map((r) => ({ ...r, t: r.t + 60_000 }));
    const out = buildChartData({ ...base, timeline: [...ticks, ...later] });
    expect(out.latency.p99).toHaveLength(41);
    expect(out.latency.p99[20]?.y).toBeNull();
  });

  test('drill milestones and objective', () => {
    const out = buildChartData(sampleResult({ drill: sampleDrill() }));
    expect(out.drill.map((d) => d.label)).toEqual(['detect', 'alarm', 'mitigate', 'recover']);
    expect(out.drillObjectiveMs).toBe(10_000);
  });
});

describe('buildJunit', () => {
  const xml = buildJunit(sampleResult());
  const root = parseXml(xml);

  test('well-formed, one testcase per check, one suite per kind, totals that add up', () => {
    const suites = all(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual([
      'gate · health',
      'gate · kpi',
      'gate · canary',
      'gate · experiment',
      'gate · expectation',
    ]);
    expect(all(root, 'testcase')).toHaveLength(sampleResult().checks.length);
    expect(root.attrs).toMatchObject({ tests: '8', failures: '2', errors: '0', skipped: '1' });
    for (const suite of suites) {
      const cases = all(suite, 'testcase');
      expect(Number(suite.attrs.tests)).toBe(cases.length);
      expect(Number(suite.attrs.failures)).toBe(all(suite, 'failure').length);
      expect(Number(suite.attrs.skipped)).toBe(all(suite, 'skipped').length);
    }
  });

  test('the failed KPI p(99)<1 is a failed testcase: measured vs threshold, details in the body', () => {
    const kpi = all(root, 'testcase').find((c) => c.attrs.name === 'p(99)&lt;1');
    const failure = kpi?.children[0];
    expect(failure?.name).toBe('failure');
    expect(failure?.attrs.message).toBe('measured 5.12 ms vs threshold p(99)&lt;1');
    expect(failure?.text).toContain('runbook: docs/runbooks/high-latency.md');
    expect(xml).not.toContain('<script>');
  });

  test.each([
    ['error', 'error', 'errors="1"'],
    ['skipped', 'skipped', 'skipped="1"'],
    ['failed', 'failure', 'failures="1"'],
  ] as const)('a %s check becomes <%s>', (status, element, total) => {
    const check = { ...sampleResult().checks[0]!, status };
    const out = buildJunit(sampleResult({ checks: [check] }));
    expect(all(parseXml(out), element)).toHaveLength(1);
    expect(out).toContain(total);
  });

  test('an errored run without checks still reports why', () => {
    const out = buildJunit(
      sampleResult({ status: 'error', error: 'target unreachable', checks: [], stages: [] }),
    );
    expect(parseXml(out).attrs).toMatchObject({ tests: '1', failures: '0', errors: '1' });
    expect(out).toContain('<error message="target unreachable"');
  });

  test('characters XML forbids are stripped, markup escaped', () => {
    expect(escapeXml('a\u0000b\u001bc\ud800d<&>"\'')).toBe('abcd&lt;&amp;&gt;&quot;&apos;');
    const check = { ...sampleResult().checks[0]!, name: 'bell\u0007 and lone \udc00 surrogate' };
    expect(() => parseXml(buildJunit(sampleResult({ checks: [check] })))).not.toThrow();
  });

  test('snapshot', () => {
    expect(scrub(xml)).toMatchSnapshot();
  });
});

describe('buildMarkdown', () => {
  const md = buildMarkdown(sampleResult());
  const lines = md.split('\n');

  test.each([
    ['failed', '## opsproof gate: ❌ failed (exit 1)'],
    ['passed', '## opsproof gate: ✅ passed (exit 0)'],
    ['error', '## opsproof gate: ⚠️ error (exit 3)'],
    ['interrupted', '## opsproof gate: ⏹️ interrupted (exit 130)'],
  ] as const)('verdict line first: %s', (status, line) => {
    expect(buildMarkdown(sampleResult({ status })).split('\n')[0]).toBe(line);
  });

  test('the failed KPI p(99)<1 is the first row of the checks table, with measured vs threshold', () => {
    const header = lines.indexOf('|  | Check | Measured | Threshold | Message |');
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 2]).toMatch(
      /^\| ❌ \| p\(99\)<1 \| 5\.12 ms \| `p\(99\)<1` \| p\(99\) = 5\.115 ms/,
    );
    expect(lines[header + 2]).toContain('([runbook](docs/runbooks/high-latency.md))');
    expect(lines[header + 3]).toMatch(/^\| ❌ \| api-latency: HighLatencyP99 returns to OK/);
  });

  test('in a GitHub step summary, runbook paths link into the repository; URLs stay as they are', () => {
    const base = 'https://github.com/acme/shop/blob/abc123/reports/20260101T000000Z-abcd/';
    const ci = buildMarkdown(
      sampleResult({ checks: [{ ...sampleResult().checks[0]!, runbook: '../../docs/run books/x.md' }] }),
      {
        linkBase: base,
      },
    );
    expect(ci).toContain('([runbook](https://github.com/acme/shop/blob/abc123/docs/run%20books/x.md))');
    expect(buildMarkdown(sampleResult(), { linkBase: base })).toContain(
      '[runbook](https://runbooks.example.com/high-latency)',
    );
  });

  test('expectations show measured vs deadline; canaries, experiments and load are there', () => {
    expect(md).toContain(
      '| ❌ | api-latency: HighLatencyP99 returns to OK within 2s after fault.end | 3s | 2s | `fault.end` |',
    );
    expect(md).toContain(
      '| ✅ | checkout (browser) | canaries | 420ms | ✅ open home 300ms · ✅ api round trip 120ms |',
    );
    expect(md).toMatch(/\| ❌ \| api-latency \| completed \| yes \| 6s \| .* \| alarm HighErrorRate \|/);
    expect(md).toContain('| 500 | 25.0 | 26 (5.20%) | 0 |');
  });

  test('markup is inert, pipes escaped, javascript: links are not links', () => {
    expect(md).not.toMatch(/<script|<img|<\/script/);
    expect(md).toContain(
      '&lt;/script>&lt;script>alert(1)&lt;/script>&lt;img src=x onerror=alert(2)>&amp;amp;',
    );
    expect(md).not.toContain('](javascript:');
    const out = buildMarkdown(sampleResult({ checks: [{ ...sampleResult().checks[0]!, name: 'a | b' }] }));
    expect(out).toContain('a \\| b');
  });

  test('an error is shown under the verdict', () => {
    expect(buildMarkdown(sampleResult({ status: 'error', error: 'target unreachable' }))).toContain(
      '> **Error:** target unreachable',
    );
  });

  test('the drill section when the result has one', () => {
    const out = buildMarkdown(sampleResult({ drill: sampleDrill() }));
    expect(out).toContain('### Drill: dr (dr)');
    expect(out).toContain('| Time to recover | 7.4s ✅ within objective |');
  });

  test('long tables are cut with a note; the whole stays under the byte limit', () => {
    const check = sampleResult().checks[2]!;
    const checks = Array.from({ length: 5000 }, (_, i) => ({
      ...check,
      id: `c${i}`,
      message: 'x'.repeat(2000),
    }));
    const long = buildMarkdown(sampleResult({ checks }));
    expect(long).toContain('_4800 more rows left out; result.json has them all._');
    expect(Buffer.byteLength(long)).toBeLessThan(1024 * 1024);
    const tight = buildMarkdown(sampleResult({ checks }), { limitBytes: 5000 });
    expect(Buffer.byteLength(tight)).toBeLessThanOrEqual(5000);
    expect(tight).toMatch(/Summary truncated to fit the 1 MiB step-summary limit/);
  });

  test('snapshot', () => {
    expect(scrub(buildMarkdown(sampleResult({ drill: sampleDrill() })))).toMatchSnapshot();
  });
});

describe('buildHtml', () => {
  const result = sampleResult({ drill: sampleDrill() });
  const page = buildHtml(result, loadChartAssets());

  test('verdict first: status, exit code and its meaning, then failed checks with runbook', () => {
    expect(page).toMatch(/<body>\s*<header class="verdict failed">/);
    expect(page).toContain('<strong>exit 1</strong> — a check failed (KPI, assertion, canary)');
    const failures = page.indexOf('<section id="failures">');
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(page.indexOf('<section id="checks">'));
    expect(page.indexOf('p(99)&lt;1', failures)).toBeLessThan(
      page.indexOf('returns to OK within 2s', failures),
    );
    expect(page).toContain('<a href="docs/runbooks/high-latency.md" rel="noopener noreferrer">runbook</a>');
  });

  test('every section is there', () => {
    for (const id of [
      'failures',
      'drill',
      'checks',
      'load',
      'expectations',
      'canaries',
      'experiments',
      'stages',
      'timeline',
    ]) {
      expect(page).toContain(`<section id="${id}">`);
    }
    for (const canvas of [
      'chart-latency',
      'chart-throughput',
      'chart-histogram',
      'chart-expectations',
      'chart-drill',
    ]) {
      expect(page).toContain(`<canvas id="${canvas}"`);
    }
    expect(page).toContain('<img class="thumb" src="canaries/checkout/attempt1-open-home.png"');
    expect(page).toContain('stopped by <b>alarm HighErrorRate</b>');
  });

  test('hostile text cannot escape: escaped in HTML, \\u003c in the embedded JSON', () => {
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
    const json = page.match(/<script type="application\/json" id="opsproof-data">([^<]*)<\/script>/)?.[1];
    expect(json).toBeDefined();
    expect(JSON.parse(json ?? '')).toEqual(JSON.parse(JSON.stringify(buildChartData(result))));
    expect(embedJson({ a: '</script>' })).toBe('{"a":"\\u003c/script>"}');
  });

  test.each([
    ['docs/runbooks/x.md', 'docs/runbooks/x.md'],
    ['https://example.com/rb', 'https://example.com/rb'],
    ['javascript:alert(1)', undefined],
    [' JavaScript:alert(1)', undefined],
    ['data:text/html,x', undefined],
    ['//evil.example.com/x', undefined],
  ])('safeHref(%j) = %j', (url, href) => {
    expect(safeHref(url)).toBe(href);
  });

  test('no network references: nothing loaded from elsewhere', () => {
    expect(page).not.toMatch(/<link\b|<iframe|@import|url\(\s*['"]?https?:/i);
    expect(page).not.toMatch(/\bsrc="(https?:)?\/\//i);
    expect(page).toContain("default-src 'none'");
  });

  test('without chart assets: the same tables, no scripts at all', () => {
    const plain = buildHtml(result);
    expect(plain).not.toMatch(/<script/);
    expect(plain).toContain('<section id="checks">');
  });
});

test('a load cut short by Ctrl-C is marked so in the summary, summary.md and report.html', () => {
  const base = sampleResult();
  const result = {
    ...base,
    status: 'interrupted' as const,
    load: { ...base.load!, durationMs: 4700, interrupted: true },
  };
  expect(formatSummary(result, { runDir: 'reports/x' })).toContain(
    'load (interrupted after 4.7s): 500 requests · 25.0 rps',
  );
  expect(buildMarkdown(result)).toContain('· 4.7s · **interrupted**: the figures cover only what ran');
  expect(buildHtml(result, loadChartAssets())).toContain(
    '· 4.7s · <strong>interrupted</strong>: the figures cover only what ran',
  );
});

describe('formatSummary', () => {
  const summary = formatSummary(sampleResult(), { reportPath: 'reports/x/report.html', runDir: 'reports/x' });
  const lines = summary.split('\n');
  const checkLines = lines.filter((l) => /^ {2}[✓✗!-] /.test(l));

  test('failures first, measured vs threshold, verdict, run dir and report path last', () => {
    expect(checkLines[0]).toMatch(
      /^ {2}✗ p\(99\)<1 \.+ +5\.12 ms {2}\(threshold p\(99\)<1\) +p\(99\) = 5\.115 ms/,
    );
    expect(checkLines[1]).toMatch(/^ {2}✗ api-latency: HighLatencyP99 returns to OK/);
    expect(checkLines.at(-1)).toMatch(
      /^ {2}- canary checkout \(after chaos\) \.+ +— +skipped: --skip canaries-after$/,
    );
    expect(summary).toContain('verdict: FAILED (exit 1) — a check failed');
    expect(summary).toContain('load: 500 requests · 25.0 rps · 26 errors (5.20%)');
    expect(summary).not.toContain('interrupted after');
    expect(lines.filter(Boolean).slice(-2)).toEqual([
      '  run dir: reports/x',
      '  report: reports/x/report.html',
    ]);
  });

  test('columns are aligned: measured values end, thresholds start in one column', () => {
    const measuredEnds = checkLines
      .filter((l) => l.includes('(threshold'))
      .map((l) => l.indexOf('  (threshold'));
    expect(new Set(measuredEnds).size).toBe(1);
  });

  test('no colour unless asked for; colour when asked', () => {
    expect(summary).not.toContain('\u001b[');
    expect(formatSummary(sampleResult(), { color: true })).toContain('\u001b[31m');
  });

  test.each([
    [{ isTTY: true }, {}, true],
    [{ isTTY: false }, {}, false],
    [{}, {}, false],
    [{ isTTY: true }, { NO_COLOR: '1' }, false],
    [{ isTTY: true }, { TERM: 'dumb' }, false],
    [{ isTTY: false }, { FORCE_COLOR: '1' }, true],
  ])('shouldUseColor(%o, %o) = %s', (stream, env, expected) => {
    expect(shouldUseColor(stream, env)).toBe(expected);
  });

  test.each([
    ['passed', 'verdict: PASSED (exit 0)'],
    ['error', 'verdict: ERROR (exit 3)'],
    ['interrupted', 'verdict: INTERRUPTED (exit 130)'],
  ] as const)('%s run', (status, verdict) => {
    expect(formatSummary(sampleResult({ status }))).toContain(verdict);
  });

  test('drill times when the result has a drill', () => {
    expect(formatSummary(sampleResult({ drill: sampleDrill() }))).toContain(
      'drill dr: detect 2.1s · alarm 4s · recover 7.4s (objective 10s)',
    );
  });
});

describe('format values', () => {
  test.each([
    [{ measured: null }, '—'],
    [{ measured: 200, unit: 'status' }, '200'],
    [{ measured: 12.345, unit: 'ms' }, '12.35 ms'],
    [{ measured: 99.9, unit: '%' }, '99.90%'],
    [{ measured: 'ALARM' }, 'ALARM'],
    // Rates are kept as fractions in result.json and read as percentages.
    [{ measured: 0.0042, unit: 'ratio' }, '0.42 %'],
    [{ measured: 0.05, unit: 'ratio' }, '5 %'],
    [{ measured: 0, unit: 'ratio' }, '0 %'],
  ])('formatMeasured(%o) = %s', (check, text) => {
    expect(formatMeasured(check)).toBe(text);
  });

  test.each([
    [{ threshold: 'rate<=0.05', unit: 'ratio' }, '≤ 5 %'],
    [{ threshold: 'rate<0.01', unit: 'ratio' }, '< 1 %'],
    // A baseline's error-rate limit has no aggregate.
    [{ threshold: '<=0.011', unit: 'ratio' }, '≤ 1.1 %'],
    [{ threshold: '<=120', unit: 'ms' }, '<=120'],
    [{ threshold: 'p(99)<1000', unit: 'ms' }, 'p(99)<1000'],
    [{ threshold: 'send lag p(99)<=25', unit: 'ms' }, 'send lag p(99)<=25'],
    [{ threshold: null, unit: 'ratio' }, null],
  ])('formatThreshold(%o) = %s', (check, text) => {
    expect(formatThreshold(check)).toBe(text);
  });

  test.each([
    [{ name: 'checkout', stage: 'canaries' }, 'checkout'],
    [{ name: 'checkout', stage: 'canaries-after' }, 'checkout (after chaos)'],
    [{ name: 'checkout' }, 'checkout'],
  ] as const)('formatCanaryName(%o) = %s', (canary, text) => {
    expect(formatCanaryName(canary)).toBe(text);
  });
});

test('HOSTILE really is hostile (guards the escaping tests above)', () => {
  expect(HOSTILE).toContain('</script>');
});

describe('the same canary before and after chaos, and rates, in every report', () => {
  const base = sampleResult();
  const checkout = base.canaries![0]!;
  const rate = {
    id: 'kpi:rate<=0.05',
    kind: 'kpi',
    name: 'error rate ≤ 5 % (availability 95 %)',
    status: 'failed',
    measured: 0.0642,
    threshold: 'rate<=0.05',
    unit: 'ratio',
    message: 'error rate 6.42 % (limit ≤ 5 %) breaches rate<=0.05',
    stage: 'load',
  } as const;
  const result = sampleResult({
    checks: [
      rate,
      { ...base.checks.find((c) => c.id === 'canary:checkout')!, status: 'passed' },
      {
        id: 'canary-after:checkout',
        kind: 'canary',
        name: 'canary checkout (after chaos)',
        status: 'failed',
        measured: 90,
        threshold: null,
        unit: 'ms',
        message: 'canary checkout (after chaos) failed: step "open home" failed',
        stage: 'canaries-after',
      },
    ],
    canaries: [checkout, { ...checkout, stage: 'canaries-after', status: 'failed' }],
  });

  test('JUnit: every testcase is named apart; a rate reads in percent', () => {
    const cases = all(parseXml(buildJunit(result)), 'testcase');
    const names = cases.map((c) => `${c.attrs.classname} ${c.attrs.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('opsproof.gate.canary canary checkout (after chaos)');
    const failure = cases.find((c) => c.attrs.name === 'error rate ≤ 5 % (availability 95 %)')?.children[0];
    expect(failure?.attrs.message).toBe('measured 6.42 % vs threshold ≤ 5 %');
    expect(failure?.text).toContain('threshold: ≤ 5 % (rate&lt;=0.05)');
  });

  test('Markdown: the canaries table and the checks name the second run apart; rates in percent', () => {
    const md = buildMarkdown(result);
    expect(md).toContain('| ✅ | checkout (browser) | canaries |');
    expect(md).toContain('| ❌ | checkout (after chaos) (browser) | canaries-after |');
    expect(md).toContain('canary checkout (after chaos)');
    expect(md).toContain('| error rate ≤ 5 % (availability 95 %) | 6.42 % | `≤ 5 %` |');
  });

  test('HTML and the terminal summary do too', () => {
    const html = buildHtml(result);
    expect(html).toContain('<b>checkout (after chaos)</b>');
    expect(html).toContain('6.42 %');
    expect(html).toContain('≤ 5 %');
    const summary = formatSummary(result);
    expect(summary).toMatch(/canary checkout \(after chaos\) \.+\s+90 ms/);
    expect(summary).toMatch(/error rate ≤ 5 % \(availability 95 %\) \.+ 6\.42 %\s+\(threshold ≤ 5 %\)/);
  });
});

describe("the generator's send lag in every report", () => {
  const base = sampleResult();
  const keptUp = (status: 'passed' | 'failed') => ({
    id: 'kpi:generator-kept-up',
    kind: 'kpi' as const,
    name: 'generator kept up',
    status,
    measured: 180,
    threshold: 'send lag p(99)<=50',
    unit: 'ms',
    message: 'the generator fell behind',
    stage: 'load',
  });
  const reports = [
    ['terminal summary', (r: RunResult) => formatSummary(r)],
    ['summary.md', (r: RunResult) => buildMarkdown(r)],
    ['report.html', (r: RunResult) => buildHtml(r)],
  ] as const;

  test.each(reports)(
    '%s: the open engine figures, and a sentence when the generator fell behind',
    (_, build) => {
      const load = { ...base.load!, sendLagMs: { p50: 0.25, p99: 180, max: 412.5 } };
      const kept = build(sampleResult({ load, checks: [keptUp('passed')] }));
      expect(kept).toContain(
        'send lag (intended send → on the wire): p50 0.3 ms · p99 180.0 ms · max 412.5 ms',
      );
      expect(kept).not.toContain('fell behind the rate');
      expect(build(sampleResult({ load, checks: [keptUp('failed')] }))).toContain(
        'max 412.5 ms — the generator fell behind the rate, so the target got a burstier load than asked',
      );
    },
  );

  test.each(reports)(
    '%s: k6 says it measures no send lag; the closed model says nothing of it',
    (_, build) => {
      const k6 = { ...base.load!, engine: 'k6' as const, dropped: 4 };
      expect(build(sampleResult({ load: k6 }))).toContain(
        'send lag: not measured by k6, which counts the iterations it could not start when due instead (dropped_iterations: 4)',
      );
      expect(build(sampleResult({ load: { ...k6, model: 'closed' } }))).not.toContain('send lag');
    },
  );
});

describe('the evidence of alarm checks in every report', () => {
  const result = sampleResult();
  const seen = '2 datapoints · OK→ALARM at 10:00:13 UTC';

  test.each([
    ['terminal summary', () => formatSummary(result)],
    ['summary.md', () => buildMarkdown(result)],
    ['report.html', () => buildHtml(result)],
    ['junit.xml', () => buildJunit(result)],
  ])('%s gives the datapoints seen and the transition timed', (_report, build) => {
    expect(build()).toContain(seen);
  });

  test('a failed alarm check shows its evidence in the terminal line, the HTML failure card and JUnit details', () => {
    const line = formatSummary(result)
      .split('\n')
      .find((l) => l.includes('HighLatencyP99 returns to OK'));
    expect(line).toContain('[1 datapoint · ALARM→OK at 10:00:23 UTC]');
    expect(buildHtml(result)).toContain(
      '<div class="meta">evidence: 1 datapoint · ALARM→OK at 10:00:23 UTC</div>',
    );
    expect(buildJunit(result)).toContain('evidence: 1 datapoint · ALARM→OK at 10:00:23 UTC</failure>');
  });

  test('checks without evidence render as before', () => {
    const bare = sampleResult({ checks: sampleResult().checks.map(({ evidence: _, ...c }) => c) });
    for (const text of [formatSummary(bare), buildMarkdown(bare), buildHtml(bare), buildJunit(bare)])
      expect(text).not.toMatch(/datapoints? ·|datapoints unknown/);
  });
});

describe('buildRepositoryLinkBase', () => {
  const github = {
    GITHUB_ACTIONS: 'true',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_SHA: 'abc123',
    GITHUB_WORKSPACE: '/home/runner/work/shop/shop',
  };
  test.each([
    [
      github,
      '/home/runner/work/shop/shop/reports/r1',
      'https://github.com/acme/shop/blob/abc123/reports/r1/',
    ],
    [github, '/home/runner/work/shop/shop', 'https://github.com/acme/shop/blob/abc123/'],
    [
      { ...github, GITHUB_SERVER_URL: 'https://ghe.example.com/' },
      '/home/runner/work/shop/shop/out',
      'https://ghe.example.com/acme/shop/blob/abc123/out/',
    ],
    // Outside the workspace, or not in GitHub Actions: links stay relative to the run directory.
    [github, '/tmp/out', undefined],
    [{ ...github, GITHUB_ACTIONS: undefined }, '/home/runner/work/shop/shop/reports/r1', undefined],
    [{ ...github, GITHUB_SHA: undefined }, '/home/runner/work/shop/shop/reports/r1', undefined],
    [{}, '/work/reports/r1', undefined],
  ])('%j, run directory %s → %s', (env, runDir, expected) => {
    expect(buildRepositoryLinkBase(env, runDir)).toBe(expected);
  });
});
