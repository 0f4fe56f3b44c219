import { describe, expect, test } from 'vitest';
import { buildHtml } from './build-html.ts';
import { buildJson } from './build-json.ts';
import { buildJunit } from './build-junit.ts';
import { buildMarkdown } from './build-markdown.ts';
import { formatSummary } from './format-summary.ts';
import { formatDuration, formatMeasured } from './format-value.ts';
import { sampleResult } from './sample-result.ts';

describe('buildJson', () => {
  test('round-trips the RunResult', () => {
    const result = sampleResult();
    expect(JSON.parse(buildJson(result))).toEqual(result);
  });
});

describe('buildJunit', () => {
  const xml = buildJunit(sampleResult());

  test('one testcase per check, grouped by stage, with totals', () => {
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toContain('<testsuites name="opsproof gate (local)" tests="2" failures="1" errors="0"');
    expect(xml).toContain('<testsuite name="gate · load" tests="1" failures="1"');
    expect(xml).toContain('<testsuite name="gate · preflight" tests="1" failures="0"');
  });

  test('a failure carries measured vs threshold, escaped', () => {
    expect(xml).toContain('<failure message="measured 1234.50 ms vs threshold p(99)&lt;1000" type="kpi">');
    expect(xml).toContain('&lt;script&gt;&amp;');
    expect(xml).not.toContain('<script>');
  });

  test('an errored run without checks still reports why', () => {
    const out = buildJunit(
      sampleResult({ status: 'error', error: 'target unreachable', checks: [], stages: [] }),
    );
    expect(out).toContain('tests="1" failures="0" errors="1"');
    expect(out).toContain('<error message="target unreachable"');
  });
});

describe('buildMarkdown', () => {
  const md = buildMarkdown(sampleResult());

  test('verdict first', () => {
    expect(md.split('\n')[0]).toBe('## opsproof gate: ❌ failed');
  });

  test('failed checks first in a table of measured vs threshold', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('| ❌') || l.startsWith('| ✅'));
    expect(rows[0]).toContain('p(99)<1000 | 1234.50 ms | p(99)<1000');
    expect(rows[1]).toContain('target answers /health/ready | 200 | 2xx or 3xx');
  });

  test('pipes in cells are escaped', () => {
    const out = buildMarkdown(
      sampleResult({ checks: [{ ...sampleResult().checks[0]!, name: 'a | b', status: 'passed' }] }),
    );
    expect(out).toContain('a \\| b');
  });

  test('an error is shown under the verdict', () => {
    const out = buildMarkdown(sampleResult({ status: 'error', error: 'target unreachable' }));
    expect(out).toContain('> **Error:** target unreachable');
  });
});

describe('buildHtml', () => {
  const page = buildHtml(sampleResult());

  test('a self-contained page with verdict, checks and stages', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<span class="verdict failed">failed</span>');
    expect(page).toContain('<h2>Checks (2)</h2>');
    expect(page).toContain('<td>load</td>');
    expect(page).not.toMatch(/<script|<link|src="http/);
  });

  test('failed checks come first and text is escaped', () => {
    expect(page.indexOf('p(99)&lt;1000')).toBeLessThan(page.indexOf('target answers /health/ready'));
    expect(page).toContain('&lt;script&gt;&amp;');
  });
});

describe('formatSummary', () => {
  const summary = formatSummary(sampleResult(), { reportPath: 'reports/x/report.html' });
  const lines = summary.split('\n');

  test('failures first, measured vs threshold, verdict and report path', () => {
    const checkLines = lines.filter((l) => /^ {2}[✓✗!-] /.test(l));
    expect(checkLines[0]).toMatch(
      /^ {2}✗ p\(99\)<1000 \.+ 1234\.50 ms {2}\(threshold p\(99\)<1000\) {2}p99 latency/,
    );
    expect(checkLines[1]).toMatch(
      /^ {2}✓ target answers \/health\/ready \.+ +200 {2}\(threshold 2xx or 3xx\)$/,
    );
    expect(summary).toContain('verdict: FAILED (exit 1)');
    expect(summary).toContain('report: reports/x/report.html');
  });

  test('measured values are aligned', () => {
    const checkLines = lines.filter((l) => /^ {2}[✓✗] /.test(l));
    const ends = checkLines.map((l) => l.indexOf('  (threshold'));
    expect(new Set(ends).size).toBe(1);
  });

  test.each([
    ['passed', 'verdict: PASSED (exit 0)'],
    ['error', 'verdict: ERROR (exit 3)'],
    ['interrupted', 'verdict: INTERRUPTED (exit 130)'],
  ] as const)('%s run', (status, verdict) => {
    expect(formatSummary(sampleResult({ status }))).toContain(verdict);
  });
});

describe('format values', () => {
  test.each([
    [{ measured: null }, '—'],
    [{ measured: 200, unit: 'status' }, '200'],
    [{ measured: 12.345, unit: 'ms' }, '12.35 ms'],
    [{ measured: 99.9, unit: '%' }, '99.90%'],
    [{ measured: 'ALARM' }, 'ALARM'],
  ])('formatMeasured(%o) = %s', (check, text) => {
    expect(formatMeasured(check)).toBe(text);
  });

  test.each([
    [850, '850ms'],
    [12_340, '12.3s'],
    [245_000, '4m05s'],
  ])('formatDuration(%d) = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
