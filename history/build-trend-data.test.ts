import { expect, test } from 'vitest';
import { buildSampleRun } from '../test-support/sample-run.ts';
import { buildRunRecord, type LoadFigures } from './build-run-record.ts';
import { buildTrendData } from './build-trend-data.ts';
import type { CanaryRow, CheckRow, RunRow } from './history-store.ts';

/** Rows as the store returns them, from sample runs. */
function rowsOf(statuses: readonly ('passed' | 'failed' | 'skipped')[][], env = 'local') {
  const runs: RunRow[] = [];
  const checks: CheckRow[] = [];
  statuses.forEach((perCheck, i) => {
    const record = buildRunRecord(
      buildSampleRun({
        runId: `r${i}`,
        minute: i,
        env,
        checks: perCheck.map((status, n) => ({ id: `c${n}`, status })),
      }),
    );
    runs.push({ ...record, checksPassed: 0, checksFailed: 0 });
    for (const c of record.checks) {
      checks.push({
        runId: record.runId,
        checkId: c.id,
        kind: c.kind,
        name: c.name,
        status: c.status,
        measured: null,
        message: '',
      });
    }
  });
  return { runs, checks };
}

test.each([
  { name: 'never changes', series: ['passed', 'passed', 'passed'], flips: undefined },
  { name: 'always fails', series: ['failed', 'failed'], flips: undefined },
  { name: 'one failure in the middle', series: ['passed', 'failed', 'passed'], flips: 2 },
  {
    name: 'skipped runs do not count',
    series: ['passed', 'skipped', 'failed', 'skipped', 'failed'],
    flips: 1,
  },
  { name: 'alternating', series: ['passed', 'failed', 'passed', 'failed'], flips: 3 },
] as const)('flips: $name → $flips', ({ series, flips }) => {
  const { runs, checks } = rowsOf(series.map((s) => [s]));
  const data = buildTrendData({ runs, figures: new Map(), canaries: [], drills: [], checks });
  expect(data.flaky[0]?.flips).toBe(flips);
});

test('the flakiest first, then the most failed; a check that always fails is not flaky; at most flakyLimit', () => {
  // Rows are runs, columns checks c0…c3.
  const local = rowsOf([
    ['passed', 'passed', 'failed', 'failed'],
    ['failed', 'passed', 'failed', 'passed'],
    ['passed', 'failed', 'failed', 'failed'],
    ['failed', 'passed', 'failed', 'failed'],
  ]);
  const input = { runs: local.runs, figures: new Map(), canaries: [], drills: [], checks: local.checks };
  expect(buildTrendData(input).flaky.map((f) => [f.checkId, f.flips, f.failed])).toEqual([
    ['c0', 3, 2],
    ['c3', 2, 3],
    ['c1', 2, 1],
  ]);
  expect(buildTrendData({ ...input, flakyLimit: 1 }).flaky.map((f) => f.checkId)).toEqual(['c0']);
});

test('canaries: success percent per canary, the after-chaos runs kept apart', () => {
  const { runs } = rowsOf([['passed'], ['passed'], ['passed'], ['passed']]);
  const canaries: CanaryRow[] = runs.flatMap((r, i) => [
    {
      runId: r.runId,
      name: 'home',
      stage: 'canaries',
      status: i === 2 ? 'failed' : 'passed',
      durationMs: 100,
    },
    { runId: r.runId, name: 'home', stage: 'canaries-after', status: 'passed', durationMs: 90 },
  ]);
  const data = buildTrendData({ runs, figures: new Map(), canaries, drills: [], checks: [] });
  expect(data.canaries.map((c) => [c.name, c.runs, c.successPercent])).toEqual([
    ['home', 4, 75],
    ['home (after chaos)', 4, 100],
  ]);
});

test('two services sharing the history: same-named series stay apart, each named with its service', () => {
  const runs: RunRow[] = [];
  const canaries: CanaryRow[] = [];
  const figures = new Map<string, LoadFigures[]>();
  ['api', 'web', 'api', 'web'].forEach((service, i) => {
    const record = buildRunRecord({
      ...buildSampleRun({ runId: `r${i}`, minute: i, p99: service === 'api' ? 40 : 400 }),
      service,
    });
    runs.push({ ...record, checksPassed: 0, checksFailed: 0 });
    figures.set(record.runId, record.load);
    canaries.push({
      runId: record.runId,
      name: 'home',
      stage: 'canaries',
      status: 'passed',
      durationMs: 100,
    });
  });
  const data = buildTrendData({ runs, figures, canaries, drills: [], checks: [] });
  const overall = data.scenarios.filter((t) => t.scenario === '*');
  expect(overall.map((t) => [t.key, t.points.map((p) => p.p99)])).toEqual([
    ['steady · all scenarios · api · local', [40, 40]],
    ['steady · all scenarios · web · local', [400, 400]],
  ]);
  expect(data.canaries.map((c) => [c.name, c.env, c.runs])).toEqual([
    ['home', 'api · local', 2],
    ['home', 'web · local', 2],
  ]);
  // One service: the environment alone, as before.
  const one = buildTrendData({
    runs: runs.filter((r) => r.service === 'api'),
    figures,
    canaries,
    drills: [],
    checks: [],
  });
  expect(one.canaries.map((c) => c.env)).toEqual(['local']);
});
