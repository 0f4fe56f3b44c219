import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import { UsageError } from '../core/errors.ts';
import type { LoadedSuite } from '../core/load-config.ts';
import type { DrillReport } from '../core/run-result.ts';
import { buildRunRecord } from '../history/build-run-record.ts';
import { openHistoryStore } from '../history/history-store.ts';
import { buildSampleRun } from '../test-support/sample-run.ts';
import { loadPreviousDrill, resolveBaselineFlag, runHistory } from './history.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/** What these look-ups read of a loaded suite: its folder and, when given, its service's name. */
function loadedSuite(dir: string, service?: string): LoadedSuite {
  return {
    suite: service === undefined ? {} : { service },
    dir,
    file: join(dir, 'opsproof.config.ts'),
    warnings: [],
  } as unknown as LoadedSuite;
}

function capture(): { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  return { stdout: () => out, stderr: () => err };
}

async function seededHistory(): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'opsproof-history-cli-')), 'history.db');
  const store = await openHistoryStore(file);
  const now = Date.now();
  const minutesAgo = (m: number) => (now - m * 60_000 - Date.parse('2026-01-01T00:00:00.000Z')) / 60_000;
  await store.record(
    buildRunRecord(buildSampleRun({ runId: 'old-gate', command: 'gate', minute: minutesAgo(60 * 24 * 40) })),
  );
  await store.record(
    buildRunRecord(buildSampleRun({ runId: 'gate-1', command: 'gate', minute: minutesAgo(30) })),
  );
  await store.record(
    buildRunRecord(
      buildSampleRun({ runId: 'drill-1', command: 'drill dr-kill', minute: minutesAgo(20), env: 'staging' }),
    ),
  );
  await store.record(
    buildRunRecord(
      buildSampleRun({
        runId: 'load-1',
        minute: minutesAgo(10),
        status: 'failed',
        checks: [{ id: 'k', status: 'failed' }],
      }),
      { commit: '0123456789abcdef' },
    ),
  );
  store.close();
  return file;
}

test.each([
  { flags: {}, runs: ['old-gate', 'gate-1', 'drill-1', 'load-1'] },
  { flags: { kind: 'gate' as const }, runs: ['old-gate', 'gate-1'] },
  { flags: { kind: 'gate' as const, since: '30d' }, runs: ['gate-1'] },
  { flags: { env: 'staging' }, runs: ['drill-1'] },
  { flags: { name: 'dr-kill' }, runs: ['drill-1'] },
  { flags: { limit: '2' }, runs: ['drill-1', 'load-1'] },
])('history $flags → $runs', async ({ flags, runs }) => {
  const file = await seededHistory();
  const io = capture();
  expect(await runHistory({ ...flags, history: file, json: true })).toBe(0);
  const rows = JSON.parse(io.stdout()) as { runId: string }[];
  expect(rows.map((r) => r.runId)).toEqual(runs);
});

test('a line per run on stderr: id, kind, name, env, status, checks, commit', async () => {
  const file = await seededHistory();
  const io = capture();
  await runHistory({ history: file, kind: 'load' });
  const lines = io.stderr().trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(
    /^load-1 +\S+ \S+ +load +steady +local +failed +12s +0\/1 checks passed +0123456$/,
  );
  expect(io.stdout()).toBe('');
});

test('no history yet is not an error; bad flags are usage errors', async () => {
  const io = capture();
  const missing = join(mkdtempSync(join(tmpdir(), 'opsproof-history-cli-')), 'none.db');
  expect(await runHistory({ history: missing, json: true })).toBe(0);
  expect(io.stdout()).toBe('[]\n');
  expect(io.stderr()).toMatch(/no run history at .*none\.db yet/);
  await expect(runHistory({ history: missing, since: '30' })).rejects.toThrow(UsageError);
  await expect(runHistory({ history: missing, limit: '0' })).rejects.toThrow(UsageError);
  await expect(runHistory({ history: 'off' })).rejects.toThrow(/history is off/);
});

test('--baseline: a run id from the history, a result.json file, or a usage error for neither', async () => {
  const file = await seededHistory();
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-baseline-flag-'));
  const input = { profile: 'steady', env: 'local', history: file, loaded: loadedSuite(dir) };
  const byRun = await resolveBaselineFlag('gate-1', input);
  expect(byRun).toMatchObject({ label: 'run gate-1', summary: { latencyMs: { p99: 40 } } });
  // The spread: every passed run of the profile in the environment (old-gate and gate-1; drill-1 is staging).
  expect(byRun.spread?.values['*']?.p99).toEqual([40, 40]);
  const json = join(dir, 'result.json');
  writeFileSync(json, JSON.stringify(buildSampleRun({ runId: 'x', p99: 77 })));
  expect(await resolveBaselineFlag(json, input)).toMatchObject({
    label: json,
    summary: { latencyMs: { p99: 77 } },
  });
  await expect(resolveBaselineFlag('no-such-run', input)).rejects.toThrow(UsageError);
  const none = await resolveBaselineFlag('latest-passed', { ...input, history: join(dir, 'none.db') });
  expect(none).toMatchObject({ label: 'latest-passed', missing: expect.stringMatching(/no run history at/) });
});

test('the previous drill: the last of its name in the environment, its open items from drill.md while it exists, else those recorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-previous-drill-'));
  const file = join(dir, 'history.db');
  const drill = (ttd: number, actionItems: string[]) =>
    ({
      name: 'dr-kill',
      kind: 'dr',
      timeToDetectMs: ttd,
      timeToAlarmMs: null,
      timeToMitigateMs: null,
      timeToRecoverMs: ttd * 4,
      impact: { requests: 100, failedRequests: 7, durationMs: ttd * 4 },
      actionItems,
    }) as unknown as DrillReport;
  const recorded = ['Restart faster', 'Page the on-call sooner', 'Add a runbook'];
  const store = await openHistoryStore(file);
  for (const [runId, minute, env, ttd] of [
    ['drill-old', 1, 'local', 9000],
    ['drill-last', 2, 'local', 3000],
    ['drill-staging', 3, 'staging', 1000],
    // Another suite run from the same folder files its drills in the same reports/history.db.
    ['drill-other-service', 4, 'local', 500],
  ] as const) {
    await store.record(
      buildRunRecord(
        {
          ...buildSampleRun({ runId, command: 'drill dr-kill', minute, env, drill: drill(ttd, recorded) }),
          service: runId === 'drill-other-service' ? 'other' : 'demo',
        },
        { runDir: join(dir, runId) },
      ),
    );
  }
  store.close();
  // The review of the last local drill ticked one item off.
  mkdirSync(join(dir, 'drill-last'));
  writeFileSync(
    join(dir, 'drill-last', 'drill.md'),
    '### Action Items\n\n- [x] Restart faster\n- [ ] Page the on-call sooner\n- [ ] Add a runbook\n\n### Timeline\n- [ ] not an action item\n',
  );
  const input = { env: 'local', history: file, loaded: loadedSuite(dir, 'demo') };

  expect(await loadPreviousDrill('dr-kill', input)).toEqual({
    runId: 'drill-last',
    startedAt: '2026-01-01T00:02:00.000Z',
    timeToDetectMs: 3000,
    timeToAlarmMs: null,
    timeToRecoverMs: 12_000,
    impact: { requests: 100, failedRequests: 7, durationMs: 12_000 },
    actionItems: ['Page the on-call sooner', 'Add a runbook'],
  });
  // Its run directory deleted by hand: the history still has the drill and the items it recorded.
  rmSync(join(dir, 'drill-last'), { recursive: true });
  expect(await loadPreviousDrill('dr-kill', input)).toMatchObject({
    runId: 'drill-last',
    timeToDetectMs: 3000,
    actionItems: recorded,
  });
  expect(await loadPreviousDrill('dr-kill', { ...input, env: 'staging' })).toMatchObject({
    runId: 'drill-staging',
  });
  expect(await loadPreviousDrill('other-drill', input)).toBeUndefined();
  expect(await loadPreviousDrill('dr-kill', { ...input, history: join(dir, 'none.db') })).toBeUndefined();
  rmSync(dir, { recursive: true, force: true });
});

test('--baseline latest-passed and its spread come from the same service: another suite sharing the history is no baseline', async () => {
  const file = await seededHistory();
  const store = await openHistoryStore(file);
  await store.record(
    buildRunRecord({
      ...buildSampleRun({
        runId: 'other-service',
        minute: (Date.now() - Date.parse('2026-01-01')) / 60_000,
        p99: 999,
      }),
      service: 'other',
    }),
  );
  store.close();
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-baseline-service-'));
  const input = { profile: 'steady', env: 'local', history: file };
  const demo = await resolveBaselineFlag('latest-passed', { ...input, loaded: loadedSuite(dir, 'demo') });
  expect(demo).toMatchObject({ label: 'run gate-1, latest passed', summary: { latencyMs: { p99: 40 } } });
  expect(demo.spread?.values['*']?.p99).toEqual([40, 40]);
  const other = await resolveBaselineFlag('latest-passed', { ...input, loaded: loadedSuite(dir, 'other') });
  expect(other).toMatchObject({ label: 'run other-service, latest passed' });
  expect(other.spread?.values['*']?.p99).toEqual([999]);
  rmSync(dir, { recursive: true, force: true });
});

test('ad hoc loads (--url) are held to earlier ad hoc loads of the same URL only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-baseline-adhoc-'));
  const file = join(dir, 'history.db');
  const store = await openHistoryStore(file);
  for (const [runId, target, p99] of [
    ['adhoc-a', 'http://127.0.0.1:1/a', 40],
    ['adhoc-b', 'http://127.0.0.1:1/b', 900],
  ] as const) {
    const run = buildSampleRun({ runId, command: 'load run', profile: 'adhoc', p99 });
    await store.record(buildRunRecord({ ...run, target, load: { ...run.load!, target } }));
  }
  expect((await store.listRuns()).map((r) => [r.name, r.profile])).toEqual([
    ['adhoc', 'adhoc http://127.0.0.1:1/a'],
    ['adhoc', 'adhoc http://127.0.0.1:1/b'],
  ]);
  store.close();
  const input = { profile: 'adhoc', env: 'local', history: file, loaded: loadedSuite(dir, 'demo') };
  expect(
    await resolveBaselineFlag('latest-passed', { ...input, target: 'http://127.0.0.1:1/a' }),
  ).toMatchObject({
    label: 'run adhoc-a, latest passed',
    summary: { latencyMs: { p99: 40 } },
  });
  expect(
    await resolveBaselineFlag('latest-passed', { ...input, target: 'http://127.0.0.1:1/c' }),
  ).toMatchObject({
    missing: expect.stringMatching(/no passed run of load profile "adhoc http:\/\/127.0.0.1:1\/c"/),
  });
  rmSync(dir, { recursive: true, force: true });
});
