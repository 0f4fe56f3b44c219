import type { LoadFigures } from './build-run-record.ts';
import type { CanaryRow, CheckRow, DrillRow, RunRow } from './history-store.ts';

/** One run on a trend: where it sits and how to open it. */
export interface TrendRun {
  runId: string;
  at: string;
  status: string;
  kind: string;
  name: string;
  /** The environment; `service · env` when the runs come from several services (one shared history). */
  env: string;
  /** Link to the run's report.html, relative to the trend page; absent when the directory is gone. */
  href?: string;
}

export interface ScenarioTrend {
  /** `load profile · scenario` (`*` = overall) in one environment. */
  key: string;
  profile: string;
  scenario: string;
  env: string;
  points: { run: TrendRun; p50: number; p95: number; p99: number; errorRate: number; rps: number | null }[];
}

export interface CanaryTrend {
  name: string;
  env: string;
  runs: number;
  passed: number;
  /** Percent of runs that passed. */
  successPercent: number;
  points: { run: TrendRun; status: string; durationMs: number }[];
}

export interface DrillTrend {
  name: string;
  env: string;
  points: {
    run: TrendRun;
    timeToDetectMs: number | null;
    timeToAlarmMs: number | null;
    timeToRecoverMs: number | null;
  }[];
}

export interface FlakyCheck {
  checkId: string;
  name: string;
  env: string;
  /** Times its outcome changed from one run to the next (passed ↔ failed). */
  flips: number;
  failed: number;
  runs: { run: TrendRun; status: string }[];
}

export interface TrendData {
  generatedAt: string;
  since: string | null;
  runs: TrendRun[];
  scenarios: ScenarioTrend[];
  canaries: CanaryTrend[];
  drills: DrillTrend[];
  flaky: FlakyCheck[];
}

/**
 * The trend page's data from what the history holds (pure): load percentiles per profile and
 * scenario over runs, canary success and duration per canary, drill times over drills, and the checks
 * whose outcome flipped most (passed ↔ failed between consecutive runs that ran them), oldest first.
 */
export function buildTrendData(input: {
  runs: readonly RunRow[];
  figures: ReadonlyMap<string, readonly LoadFigures[]>;
  canaries: readonly CanaryRow[];
  drills: readonly DrillRow[];
  checks: readonly CheckRow[];
  links?: ReadonlyMap<string, string>;
  since?: string;
  now?: Date;
  /** How many flaky checks to list. @defaultValue 10 */
  flakyLimit?: number;
}): TrendData {
  const runs = [...input.runs].sort(
    (a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId),
  );
  // Suites run from one folder share reports/history.db: two services' same-named profiles, canaries,
  // drills and checks are separate series, told apart by the service beside the environment.
  const several = new Set(runs.map((r) => r.service)).size > 1;
  const scopeOf = (r: RunRow) => (several ? `${r.service} · ${r.env}` : r.env);
  const trendRuns = new Map<string, TrendRun>();
  for (const r of runs) {
    const href = input.links?.get(r.runId);
    trendRuns.set(r.runId, {
      runId: r.runId,
      at: r.startedAt,
      status: r.status,
      kind: r.kind,
      name: r.name,
      env: scopeOf(r),
      ...(href ? { href } : {}),
    });
  }
  const order = (runId: string) => runs.findIndex((r) => r.runId === runId);

  const scenarios = new Map<string, ScenarioTrend>();
  for (const r of runs) {
    for (const f of input.figures.get(r.runId) ?? []) {
      const profile = r.profile ?? r.name;
      const env = scopeOf(r);
      const key = `${profile} · ${f.scenario === '*' ? 'all scenarios' : f.scenario} · ${env}`;
      const trend = scenarios.get(key) ?? { key, profile, scenario: f.scenario, env, points: [] };
      trend.points.push({
        run: trendRuns.get(r.runId) as TrendRun,
        p50: f.p50,
        p95: f.p95,
        p99: f.p99,
        errorRate: f.errorRate,
        rps: f.rps,
      });
      scenarios.set(key, trend);
    }
  }

  const byRunOrder = <T extends { runId: string }>(rows: readonly T[]) =>
    [...rows].filter((row) => trendRuns.has(row.runId)).sort((a, b) => order(a.runId) - order(b.runId));

  const canaries = new Map<string, CanaryTrend>();
  for (const c of byRunOrder(input.canaries)) {
    const run = trendRuns.get(c.runId) as TrendRun;
    // A gate runs its canaries again after chaos: that series is kept apart.
    const name = c.stage === 'canaries-after' ? `${c.name} (after chaos)` : c.name;
    const key = `${name}\u0000${run.env}`;
    const trend = canaries.get(key) ?? {
      name,
      env: run.env,
      runs: 0,
      passed: 0,
      successPercent: 0,
      points: [],
    };
    trend.runs++;
    if (c.status === 'passed') trend.passed++;
    trend.successPercent = Math.round((trend.passed / trend.runs) * 1000) / 10;
    trend.points.push({ run, status: c.status, durationMs: c.durationMs });
    canaries.set(key, trend);
  }

  const drills = new Map<string, DrillTrend>();
  for (const d of byRunOrder(input.drills)) {
    const run = trendRuns.get(d.runId) as TrendRun;
    const key = `${d.name}\u0000${run.env}`;
    const trend = drills.get(key) ?? { name: d.name, env: run.env, points: [] };
    trend.points.push({
      run,
      timeToDetectMs: d.timeToDetectMs,
      timeToAlarmMs: d.timeToAlarmMs,
      timeToRecoverMs: d.timeToRecoverMs,
    });
    drills.set(key, trend);
  }

  const checks = new Map<string, FlakyCheck>();
  for (const c of byRunOrder(input.checks)) {
    if (c.status !== 'passed' && c.status !== 'failed') continue;
    const run = trendRuns.get(c.runId) as TrendRun;
    const key = `${c.checkId}\u0000${run.env}`;
    const trend = checks.get(key) ?? {
      checkId: c.checkId,
      name: c.name,
      env: run.env,
      flips: 0,
      failed: 0,
      runs: [],
    };
    const previous = trend.runs.at(-1);
    if (previous && previous.status !== c.status) trend.flips++;
    if (c.status === 'failed') trend.failed++;
    trend.runs.push({ run, status: c.status });
    checks.set(key, trend);
  }
  const flaky = [...checks.values()]
    .filter((c) => c.flips > 0)
    .sort((a, b) => b.flips - a.flips || b.failed - a.failed || a.checkId.localeCompare(b.checkId))
    .slice(0, input.flakyLimit ?? 10);

  return {
    generatedAt: (input.now ?? new Date()).toISOString(),
    since: input.since ?? null,
    runs: [...trendRuns.values()],
    scenarios: [...scenarios.values()],
    canaries: [...canaries.values()],
    drills: [...drills.values()],
    flaky,
  };
}
