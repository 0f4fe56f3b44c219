import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { ExperimentJournal, RunResult } from '../core/run-result.ts';
import { buildSampleRun } from '../test-support/sample-run.ts';
import { buildProfileKey, buildRunRecord, parseRunCommand } from './build-run-record.ts';
import { HISTORY_SCHEMA_VERSION, type HistoryStore, openHistoryStore } from './history-store.ts';

let dir: string;
let store: HistoryStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opsproof-history-'));
  store = await openHistoryStore(join(dir, 'nested', 'history.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test.each([
  { command: 'gate', kind: 'gate', name: 'demo' },
  { command: 'drill dr-kill', kind: 'drill', name: 'dr-kill' },
  { command: 'load run steady', kind: 'load', name: 'steady' },
  { command: 'load run', kind: 'load', name: 'default' },
  { command: 'chaos run api-errors', kind: 'chaos', name: 'api-errors' },
  { command: 'canary run home api', kind: 'canary', name: 'home api' },
  { command: 'assert', kind: 'assert', name: 'all' },
  { command: 'alarms test', kind: 'other', name: 'alarms test' },
])('$command → $kind $name', ({ command, kind, name }) => {
  expect(parseRunCommand(command, 'demo')).toEqual({ kind, name });
});

test.each([
  { profile: 'steady', target: 'http://a:1', key: 'steady' },
  { profile: 'adhoc', target: 'http://a:1/posts', key: 'adhoc http://a:1/posts' },
  { profile: 'adhoc', target: '', key: 'adhoc' },
])('profile $profile on $target is filed as $key', ({ profile, target, key }) => {
  expect(buildProfileKey(profile, target)).toBe(key);
});

const journal: ExperimentJournal = {
  experiment: 'api-errors',
  engine: 'local',
  status: 'completed',
  deviated: true,
  startedAt: '2026-01-01T00:00:01.000Z',
  endedAt: '2026-01-01T00:00:06.000Z',
  durationMs: 5000,
  dryRun: false,
  stoppedBy: 'error-rate',
  activities: [
    {
      name: 'fault',
      actionId: 'aws:lambda:invocation-error',
      status: 'succeeded',
      startedAt: '2026-01-01T00:00:01.000Z',
      endedAt: '2026-01-01T00:00:06.000Z',
      durationMs: 5000,
      output: 'matched 100 of 100 requests, injected into 46',
    },
  ],
};

test('records a run with its checks, load figures, canaries, journals and drill, and lists it', async () => {
  const sample = buildSampleRun({
    runId: 'r1',
    command: 'drill alert-errors',
    p99: 42,
    canaries: [{ name: 'home', status: 'failed', durationMs: 321 }],
    drill: {
      name: 'alert-errors',
      kind: 'alert',
      timeToDetectMs: 1000,
      timeToAlarmMs: 2000,
      timeToMitigateMs: null,
      timeToRecoverMs: 5000,
      impact: { requests: 10, failedRequests: 3, durationMs: 4000 },
      actionItems: ['page the right team'],
    },
  });
  const result: RunResult = { ...sample, experiments: [journal] };
  await store.record(buildRunRecord(result, { commit: 'abc1234', runDir: '/gone/r1' }));
  const [row] = await store.listRuns();
  expect(row).toMatchObject({
    runId: 'r1',
    kind: 'drill',
    name: 'alert-errors',
    status: 'passed',
    commit: 'abc1234',
    profile: 'steady',
    checksPassed: 1,
    checksFailed: 0,
  });
  const figures = (await store.loadFigures(['r1'])).get('r1') ?? [];
  expect(figures.map((f) => [f.scenario, f.p99])).toEqual([
    ['*', 42],
    ['browse', 42],
  ]);
  expect(figures[1]?.rps).toBe(50);
  expect(await store.loadCanaries(['r1'])).toEqual([
    { runId: 'r1', name: 'home', stage: 'canaries', status: 'failed', durationMs: 321 },
  ]);
  const [drill] = await store.loadDrills({ name: 'alert-errors' });
  expect(drill).toMatchObject({ runId: 'r1', timeToDetectMs: 1000, timeToMitigateMs: null });
  expect(drill?.actionItems).toEqual(['page the right team']);
  // The journal whole, readable once the run directory is gone.
  const client = createClient({ url: `file:${join(dir, 'nested', 'history.db')}` });
  try {
    const rows = (await client.execute('SELECT experiment, deviated, journal FROM experiment_runs')).rows;
    expect(rows.map((r) => [r.experiment, r.deviated, JSON.parse(String(r.journal))])).toEqual([
      ['api-errors', 1, journal],
    ]);
  } finally {
    client.close();
  }
});

test('filters by kind, name, env, status and time; keeps the newest N oldest first', async () => {
  const runs = [
    buildSampleRun({ runId: 'a', command: 'gate', minute: 0 }),
    buildSampleRun({ runId: 'b', command: 'load run steady', minute: 1, env: 'staging' }),
    buildSampleRun({ runId: 'c', command: 'load run spike', minute: 2, status: 'failed' }),
    buildSampleRun({ runId: 'd', command: 'gate', minute: 3 }),
  ];
  for (const run of runs) await store.record(buildRunRecord(run));
  const ids = async (filter: Parameters<HistoryStore['listRuns']>[0]) =>
    (await store.listRuns(filter)).map((r) => r.runId);
  expect(await ids({})).toEqual(['a', 'b', 'c', 'd']);
  expect(await ids({ kind: 'gate' })).toEqual(['a', 'd']);
  expect(await ids({ kind: 'load', name: 'spike' })).toEqual(['c']);
  expect(await ids({ env: 'staging' })).toEqual(['b']);
  expect(await ids({ status: 'passed' })).toEqual(['a', 'b', 'd']);
  expect(await ids({ since: '2026-01-01T00:02:00.000Z' })).toEqual(['c', 'd']);
  expect(await ids({ limit: 2 })).toEqual(['c', 'd']);
  const passed = await store.loadPassedLoadRuns({
    profile: 'steady',
    env: 'local',
    limit: 10,
    excludeRunId: 'd',
  });
  expect(passed.map((p) => p.run.runId)).toEqual(['a']);
});

test('a run id already taken is kept apart with a suffix: an earlier run is never overwritten', async () => {
  await store.record(buildRunRecord(buildSampleRun({ runId: 'r', p99: 10 })));
  await store.record(
    buildRunRecord(buildSampleRun({ runId: 'r', p99: 99, checks: [{ id: 'x', status: 'failed' }] })),
  );
  await store.record(buildRunRecord(buildSampleRun({ runId: 'r', p99: 7 })));
  expect((await store.listRuns()).map((r) => [r.runId, r.checksFailed])).toEqual([
    ['r', 0],
    ['r~2', 1],
    ['r~3', 0],
  ]);
  expect((await store.loadChecks(['r~2'])).map((c) => c.checkId)).toEqual(['x']);
  const figures = await store.loadFigures(['r', 'r~2', 'r~3']);
  expect([figures.get('r')?.[0]?.p99, figures.get('r~2')?.[0]?.p99, figures.get('r~3')?.[0]?.p99]).toEqual([
    10, 99, 7,
  ]);
});

test('the database file alone holds every recorded run: what a CI cache or artifact of history.db keeps', async () => {
  await store.record(buildRunRecord(buildSampleRun({ runId: 'r1' })));
  await store.record(buildRunRecord(buildSampleRun({ runId: 'r2', minute: 1 })));
  store.close();
  // Only history.db, not its -wal and -shm files, as `actions/cache` on reports/history.db saves it.
  mkdirSync(join(dir, 'restored'));
  copyFileSync(join(dir, 'nested', 'history.db'), join(dir, 'restored', 'history.db'));
  store = await openHistoryStore(join(dir, 'restored', 'history.db'));
  expect((await store.listRuns()).map((r) => [r.runId, r.checksPassed])).toEqual([
    ['r1', 1],
    ['r2', 1],
  ]);
});

test('the schema is versioned in history_migrations and reopening applies nothing twice', async () => {
  store.close();
  store = await openHistoryStore(join(dir, 'nested', 'history.db'));
  const client = createClient({ url: `file:${join(dir, 'nested', 'history.db')}` });
  try {
    const rows = (await client.execute('SELECT version FROM history_migrations')).rows;
    expect(rows.map((r) => Number(r.version))).toEqual(
      Array.from({ length: HISTORY_SCHEMA_VERSION }, (_, i) => i + 1),
    );
    const mode = (await client.execute('PRAGMA journal_mode')).rows[0]?.journal_mode;
    expect(mode).toBe('wal');
  } finally {
    client.close();
  }
});

test('a database of schema version 1 is migrated in place, its runs kept', async () => {
  const file = join(dir, 'nested', 'history.db');
  await store.record(buildRunRecord(buildSampleRun({ runId: 'v1-run' })));
  store.close();
  // Back to version 1: the journal column did not exist yet.
  const client = createClient({ url: `file:${file}` });
  await client.execute('ALTER TABLE experiment_runs DROP COLUMN journal');
  await client.execute('DELETE FROM history_migrations WHERE version > 1');
  client.close();
  store = await openHistoryStore(file);
  expect((await store.listRuns()).map((r) => r.runId)).toEqual(['v1-run']);
  await store.record(
    buildRunRecord({ ...buildSampleRun({ runId: 'v2-run', minute: 1 }), experiments: [journal] }),
  );
  const after = createClient({ url: `file:${file}` });
  try {
    const versions = (await after.execute('SELECT version FROM history_migrations ORDER BY version')).rows;
    expect(versions.map((r) => Number(r.version))).toEqual([1, HISTORY_SCHEMA_VERSION]);
    const journals = (await after.execute('SELECT run_id, journal FROM experiment_runs')).rows;
    expect(journals.map((r) => [r.run_id, JSON.parse(String(r.journal)).stoppedBy])).toEqual([
      ['v2-run', 'error-rate'],
    ]);
  } finally {
    after.close();
  }
});

test('a database written by a newer opsproof is refused by name, not misread', async () => {
  const client = createClient({ url: `file:${join(dir, 'nested', 'history.db')}` });
  await client.execute("INSERT INTO history_migrations (version, applied_at) VALUES (99, 'later')");
  client.close();
  await expect(openHistoryStore(join(dir, 'nested', 'history.db'))).rejects.toThrow(
    /newer than this opsproof/,
  );
});
