import { expect, test } from 'vitest';
import type { DrillReport, PreviousDrill } from '../core/run-result.ts';
import { buildDrillMarkdown, parseOpenActionItems, withPreviousDrill } from './build-drill-markdown.ts';

const report: DrillReport = {
  name: 'alert',
  kind: 'alert',
  timeToDetectMs: 3000,
  timeToAlarmMs: 3000,
  timeToMitigateMs: null,
  timeToRecoverMs: 12_000,
  impact: { requests: 500, failedRequests: 40, durationMs: 12_000 },
  actionItems: ['Immediate fix', 'Monitoring improvement', 'Process improvement'],
};

const previous: PreviousDrill = {
  runId: '20260101T000000Z-aaaa',
  startedAt: '2026-01-01T00:00:00.000Z',
  timeToDetectMs: 5000,
  timeToAlarmMs: 5000,
  timeToRecoverMs: 10_000,
  impact: { requests: 500, failedRequests: 40, durationMs: 10_000 },
  actionItems: ['Immediate fix', 'Page the on-call sooner', 'Page the on-call sooner'],
};

test('drill.md compares with the previous drill and carries its open action items forward', () => {
  const compared = withPreviousDrill(report, previous, [
    'Immediate fix',
    'Monitoring improvement',
    'Process improvement',
  ]);
  // The template's placeholders are not carried; duplicates once.
  expect(compared.previous?.actionItems).toEqual(['Page the on-call sooner']);
  expect(compared.actionItems).toEqual([
    'Page the on-call sooner',
    'Immediate fix',
    'Monitoring improvement',
    'Process improvement',
  ]);
  const md = buildDrillMarkdown({ report: compared, checks: [], service: 'demo', env: 'local', runId: 'r2' });
  expect(md).toContain(
    '### Compared with the previous drill (run `20260101T000000Z-aaaa`, 2026-01-01T00:00:00.000Z)',
  );
  expect(md).toContain('| time to detect | 3s | 5s | −2s (better) |');
  expect(md).toContain('| time to recover | 12s | 10s | +2s (worse) |');
  expect(md).toContain('| failed requests | 40 requests | 40 requests | ±0 (same) |');
  expect(md).toMatch(
    /Carried over from the previous drill \(run `20260101T000000Z-aaaa`\), still open:\n\n- \[ \] Page the on-call sooner\n/,
  );
});

test('without a previous drill nothing is compared', () => {
  const md = buildDrillMarkdown({ report, checks: [], service: 'demo', env: 'local', runId: 'r1' });
  expect(md).not.toContain('Compared with the previous drill');
  expect(md).not.toContain('Carried over');
});

test.each([
  { md: '### Action Items\n\n- [ ] A\n- [x] B\n- [X] C\n* [ ] D\n', open: ['A', 'D'] },
  { md: '### Action Items\n\n- [ ] A\n\n### Later\n- [ ] not an item\n', open: ['A'] },
  { md: '### Action Items\n\n', open: [] },
  { md: '# no such section\n- [ ] A\n', open: undefined },
])('open action items of $md', ({ md, open }) => {
  expect(parseOpenActionItems(md)).toEqual(open);
});
