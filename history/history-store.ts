/**
 * The run history store (SQLite via libSQL): schema migrations, the statements that record a run,
 * and the queries that read runs, checks, canaries, figures and drills back. One file, over 400 lines,
 * because writes and reads must agree on one schema, the MIGRATIONS at its top.
 */

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Client, createClient, type InStatement, type Row } from '@libsql/client';
import type { LoadFigures, RunFields, RunKind, RunRecord } from './build-run-record.ts';

/**
 * The schema, one entry per version, applied in order inside one write transaction each; the
 * `history_migrations` table says which ran. Never edit a shipped entry: add the next one.
 */
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE runs (
      run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, command TEXT NOT NULL,
      service TEXT NOT NULL, env TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL,
      ended_at TEXT NOT NULL, duration_ms REAL NOT NULL, commit_sha TEXT, run_dir TEXT, profile TEXT,
      recorded_at TEXT NOT NULL)`,
    'CREATE INDEX runs_by_kind ON runs (kind, name, env, started_at)',
    'CREATE INDEX runs_by_profile ON runs (profile, env, status, started_at)',
    `CREATE TABLE checks (
      run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
      check_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
      measured REAL, measured_text TEXT, threshold TEXT, unit TEXT, message TEXT NOT NULL,
      PRIMARY KEY (run_id, seq))`,
    'CREATE INDEX checks_by_id ON checks (check_id)',
    `CREATE TABLE load_figures (
      run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE, scenario TEXT NOT NULL,
      requests REAL NOT NULL, errors REAL NOT NULL, error_rate REAL NOT NULL, rps REAL,
      p50 REAL NOT NULL, p90 REAL, p95 REAL NOT NULL, p99 REAL NOT NULL, p999 REAL, max REAL,
      PRIMARY KEY (run_id, scenario))`,
    `CREATE TABLE canary_runs (
      run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
      name TEXT NOT NULL, stage TEXT NOT NULL, status TEXT NOT NULL, duration_ms REAL NOT NULL,
      attempts INTEGER NOT NULL, error TEXT, PRIMARY KEY (run_id, seq))`,
    `CREATE TABLE experiment_runs (
      run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE, seq INTEGER NOT NULL,
      experiment TEXT NOT NULL, engine TEXT NOT NULL, status TEXT NOT NULL, deviated INTEGER NOT NULL,
      duration_ms REAL NOT NULL, PRIMARY KEY (run_id, seq))`,
    `CREATE TABLE drill_runs (
      run_id TEXT PRIMARY KEY REFERENCES runs (run_id) ON DELETE CASCADE, name TEXT NOT NULL,
      kind TEXT NOT NULL, ttd_ms REAL, tta_ms REAL, ttm_ms REAL, ttr_ms REAL, objective_ms REAL,
      impact_requests REAL NOT NULL, impact_failed REAL NOT NULL, impact_duration_ms REAL NOT NULL,
      action_items TEXT NOT NULL)`,
  ],
  // 2: each experiment's whole journal (activities, what was injected, stop conditions) as JSON, so it
  // outlives the run directory; runs filed by version 1 keep NULL.
  ['ALTER TABLE experiment_runs ADD COLUMN journal TEXT'],
];

export const HISTORY_SCHEMA_VERSION = MIGRATIONS.length;

/** One line of `opsproof history`. */
/** A run as `listRuns` reads it back: its own fields and how many of its checks passed and failed. */
export interface RunRow extends RunFields {
  checksPassed: number;
  checksFailed: number;
}

export interface RunFilter {
  kind?: RunKind;
  name?: string;
  env?: string;
  /** ISO time: runs started at or after it. */
  since?: string;
  status?: string;
  /** The newest this many (the result is still oldest first). */
  limit?: number;
}

/** A drill as history recorded it, with its run. */
export type DrillRow = NonNullable<RunRecord['drill']> &
  Pick<RunFields, 'runId' | 'env' | 'status' | 'startedAt' | 'runDir'>;

export interface CheckRow {
  runId: string;
  checkId: string;
  kind: string;
  name: string;
  status: string;
  measured: number | null;
  message: string;
}

export interface CanaryRow {
  runId: string;
  name: string;
  stage: string;
  status: string;
  durationMs: number;
}

/** The run history: a SQLite file (libSQL), WAL mode, one write transaction per run. */
export interface HistoryStore {
  readonly file: string;
  record(record: RunRecord): Promise<void>;
  listRuns(filter?: RunFilter): Promise<RunRow[]>;
  findRun(runId: string): Promise<RunRow | undefined>;
  loadFigures(runIds: readonly string[]): Promise<Map<string, LoadFigures[]>>;
  /**
   * Passed runs of one load profile in one environment (of one service, when given: several suites may
   * share a history file), newest first, with their figures.
   */
  loadPassedLoadRuns(query: {
    profile: string;
    env: string;
    service?: string;
    limit: number;
    excludeRunId?: string;
  }): Promise<{ run: RunRow; figures: LoadFigures[] }[]>;
  loadChecks(runIds: readonly string[]): Promise<CheckRow[]>;
  loadCanaries(runIds: readonly string[]): Promise<CanaryRow[]>;
  loadDrills(filter?: { name?: string; env?: string; service?: string; since?: string }): Promise<DrillRow[]>;
  close(): void;
}

/** How long a writer waits for another process' transaction before giving up. */
const BUSY_TIMEOUT_MS = 15_000;

/** Opens (creating when missing) the history database and brings its schema up to date. */
export async function openHistoryStore(file: string): Promise<HistoryStore> {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  const client = createClient({
    url: pathToFileURL(path).href,
    timeout: BUSY_TIMEOUT_MS,
    // One connection: the pragmas below hold for every statement this process runs.
    concurrency: 1,
  });
  try {
    // WAL: readers never block the writer, and a writer killed mid-transaction leaves the last commit.
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA foreign_keys = ON');
    await migrate(client);
  } catch (error) {
    client.close();
    throw error;
  }
  return createStore(client, path);
}

async function migrate(client: Client): Promise<void> {
  const tx = await client.transaction('write');
  try {
    await tx.execute(
      'CREATE TABLE IF NOT EXISTS history_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    const done = await tx.execute('SELECT COALESCE(MAX(version), 0) AS v FROM history_migrations');
    const current = Number(done.rows[0]?.v ?? 0);
    if (current > MIGRATIONS.length) {
      throw new Error(
        `history database schema version ${current} is newer than this opsproof knows (${MIGRATIONS.length}); upgrade opsproof`,
      );
    }
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      for (const sql of MIGRATIONS[version - 1] ?? []) await tx.execute(sql);
      await tx.execute({
        sql: 'INSERT INTO history_migrations (version, applied_at) VALUES (?, ?)',
        args: [version, new Date().toISOString()],
      });
    }
    await tx.commit();
  } finally {
    tx.close();
  }
}

const RUN_COLUMNS = `r.run_id, r.kind, r.name, r.command, r.service, r.env, r.status, r.started_at,
  r.ended_at, r.duration_ms, r.commit_sha, r.run_dir, r.profile,
  (SELECT COUNT(*) FROM checks c WHERE c.run_id = r.run_id AND c.status = 'passed') AS checks_passed,
  (SELECT COUNT(*) FROM checks c WHERE c.run_id = r.run_id AND c.status IN ('failed', 'error')) AS checks_failed`;

function toRunRow(row: Row): RunRow {
  return {
    runId: String(row.run_id),
    kind: String(row.kind) as RunKind,
    name: String(row.name),
    command: String(row.command),
    service: String(row.service),
    env: String(row.env),
    status: String(row.status) as RunFields['status'],
    startedAt: String(row.started_at),
    endedAt: String(row.ended_at),
    durationMs: Number(row.duration_ms),
    commit: nullableString(row.commit_sha),
    runDir: nullableString(row.run_dir),
    profile: nullableString(row.profile),
    checksPassed: Number(row.checks_passed ?? 0),
    checksFailed: Number(row.checks_failed ?? 0),
  };
}

function toFigures(row: Row): LoadFigures {
  return {
    scenario: String(row.scenario),
    requests: Number(row.requests),
    errors: Number(row.errors),
    errorRate: Number(row.error_rate),
    rps: nullableNumber(row.rps),
    p50: Number(row.p50),
    p90: nullableNumber(row.p90),
    p95: Number(row.p95),
    p99: Number(row.p99),
    p999: nullableNumber(row.p999),
    max: nullableNumber(row.max),
  };
}

const nullableString = (v: unknown) => (v === null || v === undefined ? null : String(v));
const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** The statements that file one run (its row, then its children). */
function buildRecordStatements(record: RunRecord, recordedAt: string): InStatement[] {
  const id = record.runId;
  const statements: InStatement[] = [
    {
      sql: `INSERT INTO runs (run_id, kind, name, command, service, env, status, started_at, ended_at,
        duration_ms, commit_sha, run_dir, profile, recorded_at) VALUES (${placeholders(14)})`,
      args: [
        id,
        record.kind,
        record.name,
        record.command,
        record.service,
        record.env,
        record.status,
        record.startedAt,
        record.endedAt,
        record.durationMs,
        record.commit,
        record.runDir,
        record.profile,
        recordedAt,
      ],
    },
  ];
  record.checks.forEach((c, seq) => {
    statements.push({
      sql: `INSERT INTO checks (run_id, seq, check_id, kind, name, status, measured, measured_text,
        threshold, unit, message) VALUES (${placeholders(11)})`,
      args: [
        id,
        seq,
        c.id,
        c.kind,
        c.name,
        c.status,
        c.measured,
        c.measuredText,
        c.threshold,
        c.unit,
        c.message,
      ],
    });
  });
  for (const f of record.load) {
    statements.push({
      sql: `INSERT INTO load_figures (run_id, scenario, requests, errors, error_rate, rps, p50, p90, p95,
        p99, p999, max) VALUES (${placeholders(12)})`,
      args: [
        id,
        f.scenario,
        f.requests,
        f.errors,
        f.errorRate,
        f.rps,
        f.p50,
        f.p90,
        f.p95,
        f.p99,
        f.p999,
        f.max,
      ],
    });
  }
  record.canaries.forEach((c, seq) => {
    statements.push({
      sql: `INSERT INTO canary_runs (run_id, seq, name, stage, status, duration_ms, attempts, error)
        VALUES (${placeholders(8)})`,
      args: [id, seq, c.name, c.stage, c.status, c.durationMs, c.attempts, c.error],
    });
  });
  record.experiments.forEach((e, seq) => {
    statements.push({
      sql: `INSERT INTO experiment_runs (run_id, seq, experiment, engine, status, deviated, duration_ms,
        journal) VALUES (${placeholders(8)})`,
      args: [
        id,
        seq,
        e.experiment,
        e.engine,
        e.status,
        e.deviated ? 1 : 0,
        e.durationMs,
        JSON.stringify(e.journal),
      ],
    });
  });
  const d = record.drill;
  if (d) {
    statements.push({
      sql: `INSERT INTO drill_runs (run_id, name, kind, ttd_ms, tta_ms, ttm_ms, ttr_ms, objective_ms,
        impact_requests, impact_failed, impact_duration_ms, action_items) VALUES (${placeholders(12)})`,
      args: [
        id,
        d.name,
        d.kind,
        d.timeToDetectMs,
        d.timeToAlarmMs,
        d.timeToMitigateMs,
        d.timeToRecoverMs,
        d.objectiveMs,
        d.impactRequests,
        d.impactFailedRequests,
        d.impactDurationMs,
        JSON.stringify(d.actionItems),
      ],
    });
  }
  return statements;
}

function createStore(client: Client, file: string): HistoryStore {
  const byRunIds = async (sql: (inList: string) => string, runIds: readonly string[]) => {
    if (runIds.length === 0) return [];
    const rows: Row[] = [];
    // SQLite caps bound parameters; chunks keep long trend windows within it.
    for (let i = 0; i < runIds.length; i += 500) {
      const chunk = runIds.slice(i, i + 500);
      rows.push(...(await client.execute({ sql: sql(placeholders(chunk.length)), args: [...chunk] })).rows);
    }
    return rows;
  };

  const listRuns = async (filter: RunFilter = {}): Promise<RunRow[]> => {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      args.push(value);
    };
    add('r.kind = ?', filter.kind);
    add('r.name = ?', filter.name);
    add('r.env = ?', filter.env);
    add('r.started_at >= ?', filter.since);
    add('r.status = ?', filter.status);
    const limit = filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    const sql = `SELECT * FROM (SELECT ${RUN_COLUMNS} FROM runs r ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY r.started_at DESC, r.run_id DESC${limit}) ORDER BY started_at, run_id`;
    return (await client.execute({ sql, args })).rows.map(toRunRow);
  };

  const loadFigures = async (runIds: readonly string[]) => {
    const rows = await byRunIds(
      (inList) => `SELECT * FROM load_figures WHERE run_id IN (${inList}) ORDER BY run_id, scenario`,
      runIds,
    );
    const figures = new Map<string, LoadFigures[]>();
    for (const row of rows) {
      const runId = String(row.run_id);
      figures.set(runId, [...(figures.get(runId) ?? []), toFigures(row)]);
    }
    return figures;
  };

  return {
    file,
    async record(record) {
      // One transaction per run (BEGIN IMMEDIATE … COMMIT): a writer killed midway leaves no part of it.
      const tx = await client.transaction('write');
      try {
        // Run ids are unique enough for one machine, not for many writers sharing a file: an id that
        // is taken gets a suffix, so an earlier run is never overwritten.
        const taken = await tx.execute({
          sql: 'SELECT run_id FROM runs WHERE run_id = ? OR run_id LIKE ?',
          args: [record.runId, `${record.runId}~%`],
        });
        const runId = taken.rows.length === 0 ? record.runId : `${record.runId}~${taken.rows.length + 1}`;
        for (const statement of buildRecordStatements({ ...record, runId }, new Date().toISOString())) {
          await tx.execute(statement);
        }
        await tx.commit();
      } finally {
        tx.close();
      }
      // The commit is in the WAL, which libSQL's close does not fold back: without a checkpoint a CI
      // cache of history.db alone keeps none of the runs. TRUNCATE also empties the -wal file. Best
      // effort: the run is already committed, and a reader holding the WAL only postpones this.
      await client.execute('PRAGMA wal_checkpoint(TRUNCATE)').catch(() => undefined);
    },
    listRuns,
    async findRun(runId) {
      const rows = await client.execute({
        sql: `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.run_id = ?`,
        args: [runId],
      });
      return rows.rows[0] ? toRunRow(rows.rows[0]) : undefined;
    },
    loadFigures,
    async loadPassedLoadRuns({ profile, env, service, limit, excludeRunId }) {
      const rows = await client.execute({
        sql: `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.profile = ? AND r.env = ? AND r.status = 'passed'
          AND r.run_id != ? AND (? IS NULL OR r.service = ?)
          AND EXISTS (SELECT 1 FROM load_figures f WHERE f.run_id = r.run_id)
          ORDER BY r.started_at DESC, r.run_id DESC LIMIT ?`,
        args: [profile, env, excludeRunId ?? '', service ?? null, service ?? null, limit],
      });
      const runs = rows.rows.map(toRunRow);
      const figures = await loadFigures(runs.map((r) => r.runId));
      return runs.map((run) => ({ run, figures: figures.get(run.runId) ?? [] }));
    },
    async loadChecks(runIds) {
      const rows = await byRunIds(
        (inList) =>
          `SELECT run_id, check_id, kind, name, status, measured, message FROM checks WHERE run_id IN (${inList}) ORDER BY run_id, seq`,
        runIds,
      );
      return rows.map((row) => ({
        runId: String(row.run_id),
        checkId: String(row.check_id),
        kind: String(row.kind),
        name: String(row.name),
        status: String(row.status),
        measured: nullableNumber(row.measured),
        message: String(row.message),
      }));
    },
    async loadCanaries(runIds) {
      const rows = await byRunIds(
        (inList) =>
          `SELECT run_id, name, stage, status, duration_ms FROM canary_runs WHERE run_id IN (${inList}) ORDER BY run_id, seq`,
        runIds,
      );
      return rows.map((row) => ({
        runId: String(row.run_id),
        name: String(row.name),
        stage: String(row.stage),
        status: String(row.status),
        durationMs: Number(row.duration_ms),
      }));
    },
    async loadDrills(filter = {}) {
      const where = ['1 = 1'];
      const args: string[] = [];
      if (filter.name !== undefined) {
        where.push('d.name = ?');
        args.push(filter.name);
      }
      if (filter.env !== undefined) {
        where.push('r.env = ?');
        args.push(filter.env);
      }
      if (filter.service !== undefined) {
        where.push('r.service = ?');
        args.push(filter.service);
      }
      if (filter.since !== undefined) {
        where.push('r.started_at >= ?');
        args.push(filter.since);
      }
      const rows = await client.execute({
        sql: `SELECT d.*, r.env, r.status, r.started_at, r.run_dir FROM drill_runs d JOIN runs r ON r.run_id = d.run_id
          WHERE ${where.join(' AND ')} ORDER BY r.started_at, r.run_id`,
        args,
      });
      return rows.rows.map((row) => ({
        runId: String(row.run_id),
        env: String(row.env),
        status: String(row.status) as RunFields['status'],
        startedAt: String(row.started_at),
        runDir: nullableString(row.run_dir),
        name: String(row.name),
        kind: String(row.kind),
        timeToDetectMs: nullableNumber(row.ttd_ms),
        timeToAlarmMs: nullableNumber(row.tta_ms),
        timeToMitigateMs: nullableNumber(row.ttm_ms),
        timeToRecoverMs: nullableNumber(row.ttr_ms),
        objectiveMs: nullableNumber(row.objective_ms),
        impactRequests: Number(row.impact_requests),
        impactFailedRequests: Number(row.impact_failed),
        impactDurationMs: Number(row.impact_duration_ms),
        actionItems: parseActionItems(row.action_items),
      }));
    },
    close() {
      client.close();
    },
  };
}

function parseActionItems(value: unknown): string[] {
  try {
    const parsed = JSON.parse(String(value)) as unknown;
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}
