import { expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { HOSTILE, sampleDrill, sampleResult } from '../test-support/sample-result.ts';
import { buildHtml } from './build-html.ts';
import { buildMarkdown } from './build-markdown.ts';
import { formatSummary } from './format-summary.ts';

// Drill over drill in the run's own reports: result.drill.previous, set from the run history.
function compared(): RunResult {
  const drill = sampleDrill();
  return sampleResult({
    drill: {
      ...drill,
      previous: {
        runId: '20260101T000000Z-prev',
        startedAt: '2026-01-01T00:00:00.000Z',
        timeToDetectMs: 3100,
        timeToAlarmMs: 4000,
        timeToRecoverMs: 6400,
        impact: { requests: 180, failedRequests: 20, durationMs: 6400 },
        actionItems: [`Page the on-call sooner ${HOSTILE}`],
      },
    },
  });
}

test('the terminal summary gives the change of each time since the previous drill', () => {
  expect(formatSummary(compared(), { runDir: 'reports/x' })).toContain(
    '  vs previous drill 20260101T000000Z-prev: detect −1s (better) · alarm ±0 (same) · recover +1s (worse) · impact duration +1s (worse)',
  );
  expect(formatSummary(sampleResult({ drill: sampleDrill() }), { runDir: 'reports/x' })).not.toContain(
    'previous drill',
  );
});

test('summary.md and report.html show the comparison table, hostile text inert', () => {
  const md = buildMarkdown(compared());
  expect(md).toContain('Compared with the previous drill (run `20260101T000000Z-prev`):');
  expect(md).toMatch(/\| time to detect \| 2\.1s \| 3\.1s \| −1s \(better\) \|/);
  expect(md).toMatch(/\| failed requests \| 35 requests \| 20 requests \| \+15 requests \(worse\) \|/);
  const html = buildHtml(compared());
  expect(html).toContain('<h3>Compared with the previous drill</h3>');
  expect(html).toMatch(
    /<td>time to recover<\/td><td class="num">7\.4s<\/td><td class="num">6\.4s<\/td><td class="num">\+1s \(worse\)<\/td>/,
  );
  expect(html).toContain('1 action item(s) below carried over from that drill, still open.');
  expect(html).not.toContain('<script>alert(1)</script>');
  expect(buildHtml(sampleResult({ drill: sampleDrill() }))).not.toContain('Compared with the previous drill');
});
