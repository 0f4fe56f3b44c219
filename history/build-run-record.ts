import type { ExperimentJournal, RunResult } from '../core/run-result.ts';

/** What a run was, as history files it: the first word(s) of its command. */
export type RunKind = 'gate' | 'drill' | 'load' | 'chaos' | 'canary' | 'assert' | 'other';

/** The overall row of a load's figures; scenarios keep their own names. */
export const OVERALL_SCENARIO = '*';

/** One load figure set: overall (`*`) or one scenario. Latencies in ms, rps per second. */
export interface LoadFigures {
  scenario: string;
  requests: number;
  errors: number;
  errorRate: number;
  rps: number | null;
  p50: number;
  p90: number | null;
  p95: number;
  p99: number;
  p999: number | null;
  max: number | null;
}

/** A run's own fields: what history files about every run, and what `listRuns` gives back. */
export interface RunFields {
  runId: string;
  kind: RunKind;
  /** Drill, load profile, experiment or canary names; the service for a gate. */
  name: string;
  command: string;
  service: string;
  env: string;
  status: RunResult['status'];
  startedAt: string;
  endedAt: string;
  durationMs: number;
  commit: string | null;
  runDir: string | null;
  /** The load profile that ran, when one did (the key baselines are matched on). */
  profile: string | null;
}

/** A run as the history stores it: flat rows, nothing that needs the run directory later. */
export interface RunRecord extends RunFields {
  checks: {
    id: string;
    kind: string;
    name: string;
    status: string;
    measured: number | null;
    measuredText: string | null;
    threshold: string | null;
    unit: string | null;
    message: string;
  }[];
  load: LoadFigures[];
  canaries: {
    name: string;
    stage: string;
    status: string;
    durationMs: number;
    attempts: number;
    error: string | null;
  }[];
  experiments: {
    experiment: string;
    engine: string;
    status: string;
    deviated: boolean;
    durationMs: number;
    /** The whole journal, kept as it was (history/README.md). */
    journal: ExperimentJournal;
  }[];
  drill: {
    name: string;
    kind: string;
    timeToDetectMs: number | null;
    timeToAlarmMs: number | null;
    timeToMitigateMs: number | null;
    timeToRecoverMs: number | null;
    objectiveMs: number | null;
    impactRequests: number;
    impactFailedRequests: number;
    impactDurationMs: number;
    actionItems: string[];
  } | null;
}

/**
 * The load profile a run is filed under, the key of its trend series and of its baselines: an ad hoc
 * load (`load run --url … --rate …`, profile `adhoc`) with its target too, so two URLs loaded ad hoc
 * are two series and never each other's baseline.
 */
export function buildProfileKey(profile: string, target: string): string {
  return profile === 'adhoc' && target ? `adhoc ${target}` : profile;
}

/** The kind and name of a run from its command (`drill dr-kill` → drill, dr-kill). */
export function parseRunCommand(command: string, service: string): { kind: RunKind; name: string } {
  const words = command.trim().split(/\s+/);
  const rest = (from: number) => words.slice(from).join(' ');
  switch (words[0]) {
    case 'gate':
      return { kind: 'gate', name: service };
    case 'drill':
      return { kind: 'drill', name: rest(1) || 'drill' };
    case 'load':
      return { kind: 'load', name: rest(2) || 'default' };
    case 'chaos':
      return { kind: 'chaos', name: rest(2) || 'chaos' };
    case 'canary':
      return { kind: 'canary', name: rest(2) || 'all' };
    case 'assert':
      return { kind: 'assert', name: rest(1) || 'all' };
    default:
      return { kind: 'other', name: command };
  }
}

/** Flattens a finished RunResult into the rows history keeps (pure). */
export function buildRunRecord(
  result: RunResult,
  meta: { commit?: string | null; runDir?: string | null } = {},
): RunRecord {
  const parsed = parseRunCommand(result.command, result.service);
  const load = result.load;
  const { kind } = parsed;
  // `load run` without a name ran the default or an ad hoc profile: name it after the profile.
  const name =
    kind === 'load' && result.command.trim().split(/\s+/).length <= 2 && load ? load.profile : parsed.name;
  const seconds = load && load.durationMs > 0 ? load.durationMs / 1000 : null;
  const loadRows: LoadFigures[] = load
    ? [
        {
          scenario: OVERALL_SCENARIO,
          requests: load.requests,
          errors: load.errors,
          errorRate: load.errorRate,
          rps: load.rps,
          p50: load.latencyMs.p50,
          p90: load.latencyMs.p90 ?? null,
          p95: load.latencyMs.p95,
          p99: load.latencyMs.p99,
          p999: load.latencyMs.p999 ?? null,
          max: load.latencyMs.max ?? null,
        },
        ...(load.scenarios ?? []).map((s) => ({
          scenario: s.name,
          requests: s.requests,
          errors: s.errors,
          errorRate: s.errorRate,
          // Scenarios share the load's measured window.
          rps: seconds ? s.requests / seconds : null,
          p50: s.latencyMs.p50,
          p90: s.latencyMs.p90 ?? null,
          p95: s.latencyMs.p95,
          p99: s.latencyMs.p99,
          p999: s.latencyMs.p999 ?? null,
          max: s.latencyMs.max ?? null,
        })),
      ]
    : [];
  const drill = result.drill;
  return {
    runId: result.runId,
    kind,
    name,
    command: result.command,
    service: result.service,
    env: result.env,
    status: result.status,
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    durationMs: result.durationMs,
    commit: meta.commit ?? null,
    runDir: meta.runDir ?? null,
    profile: load ? buildProfileKey(load.profile, load.target) : null,
    checks: result.checks.map((c) => ({
      id: c.id,
      kind: c.kind,
      name: c.name,
      status: c.status,
      measured: typeof c.measured === 'number' && Number.isFinite(c.measured) ? c.measured : null,
      measuredText: typeof c.measured === 'string' ? c.measured : null,
      threshold: c.threshold,
      unit: c.unit ?? null,
      message: c.message,
    })),
    load: loadRows,
    canaries: (result.canaries ?? []).map((c) => ({
      name: c.name,
      stage: c.stage ?? 'canaries',
      status: c.status,
      durationMs: c.durationMs,
      attempts: c.attempts,
      error: c.error ?? null,
    })),
    experiments: (result.experiments ?? []).map((e) => ({
      experiment: e.experiment,
      engine: e.engine,
      status: e.status,
      deviated: e.deviated,
      durationMs: e.durationMs,
      journal: e,
    })),
    drill: drill
      ? {
          name: drill.name,
          kind: drill.kind,
          timeToDetectMs: drill.timeToDetectMs,
          timeToAlarmMs: drill.timeToAlarmMs,
          timeToMitigateMs: drill.timeToMitigateMs,
          timeToRecoverMs: drill.timeToRecoverMs,
          objectiveMs: drill.objectiveMs ?? null,
          impactRequests: drill.impact.requests,
          impactFailedRequests: drill.impact.failedRequests,
          impactDurationMs: drill.impact.durationMs,
          actionItems: drill.actionItems,
        }
      : null,
  };
}
