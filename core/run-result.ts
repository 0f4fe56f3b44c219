// The RunResult model (DESIGN.md, "RunResult"): every type result.json holds, in one file so that
// the contract users and CI scripts read is in one place, plus the three rules that derive a run's
// status and exit code from its checks.

import type { TimelineRecord } from './events.ts';
import type { AlarmStateValue, CheckStatus, JournalStatus, RunStatus, StageName } from './statuses.ts';

export type { CheckStatus, JournalStatus, RunStatus, StageName } from './statuses.ts';

/**
 * The RunResult: a pure, serialisable value written as result.json. CI scripts parse it, so field
 * names are stable; bump {@link RESULT_SCHEMA_VERSION} when one changes meaning or is removed.
 */
export const RESULT_SCHEMA_VERSION = 1;

export type CheckKind =
  | 'preflight'
  | 'health'
  | 'canary'
  | 'kpi'
  | 'baseline'
  | 'experiment'
  | 'expectation'
  | 'alarm-test'
  | 'drill';

/** One verdict: measured against threshold, with a message a person can act on. */
export interface Check {
  /** Stable id, unique within a run, e.g. `kpi:p(99)<1000` or `canary:checkout`. */
  id: string;
  kind: CheckKind;
  name: string;
  status: CheckStatus;
  /** What was measured; `null` when nothing could be. */
  measured: number | string | null;
  /** The limit it was held to, in the user's own syntax, e.g. `p(99)<1000`. */
  threshold: string | null;
  /** Unit of `measured` (`ms`, `%`, `rps`, `ratio`, …). */
  unit?: string;
  message: string;
  /** The stage that produced it. */
  stage?: StageName;
  /** Runbook of the alarm this check is about, when it has one. */
  runbook?: string;
  /** What an alarm check saw (DESIGN.md: no verdict without evidence). */
  evidence?: AlarmEvidence;
}

/** The most datapoints an {@link AlarmEvidence} lists; `datapointCount` keeps the full count. */
export const MAX_EVIDENCE_DATAPOINTS = 20;

/** A state change of an alarm, as an alarm check timed it. */
export interface AlarmTransition {
  from: AlarmStateValue;
  to: AlarmStateValue;
  /** ISO wall-clock time of the change. */
  at: string;
  reason: string;
}

/**
 * What an alarm check saw: the datapoints its alarm evaluated in the check's window and the
 * transition it timed. A check that saw no datapoint and no transition has no evidence to pass on.
 */
export interface AlarmEvidence {
  alarm: string;
  /** The window the datapoints were read from (ISO wall-clock times). */
  window: { from: string; to: string };
  /**
   * How many datapoints the alarm evaluated in the window; `null` when the provider cannot say.
   */
  datapointCount: number | null;
  /** The most recent of them (at most {@link MAX_EVIDENCE_DATAPOINTS}), oldest first; `t` is the period's start. */
  datapoints: {
    t: string;
    value: number;
    /** A composite's evidence: the child alarm that evaluated it. */
    alarm?: string;
  }[];
  /** The transition the check timed (into ALARM for fires, into OK for recovers, the first ALARM for stays-OK). */
  transition?: AlarmTransition;
}

export interface StageResult {
  name: StageName;
  status: CheckStatus;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** Why the stage was skipped or errored. */
  message?: string;
}

export interface LatencySummary {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadScenarioSummary {
  name: string;
  requests: number;
  errors: number;
  errorRate: number;
  latencyMs: LatencySummary;
}

export interface LoadSummary {
  engine: 'open' | 'autocannon' | 'k6';
  model: 'open' | 'closed';
  profile: string;
  target: string;
  /** The named target it loaded (`environments.X.targets`), when the environment names its targets. */
  targetName?: string;
  /** Requests completed (successes and errors) in the measured window, warm-up excluded. */
  requests: number;
  rps: number;
  errors: number;
  errorRate: number;
  /** Arrivals that were not sent because the in-flight cap was reached (open model). */
  dropped: number;
  /**
   * Open model, open engine: the generator's own lag, from each request's intended send time to when
   * it went on the wire (waiting for a connection, connecting). `latencyMs` starts on the wire, so
   * this is kept apart; a material lag fails the `kpi:generator-kept-up` check (load/README.md).
   */
  sendLagMs?: { p50: number; p99: number; max: number };
  durationMs: number;
  latencyMs: LatencySummary;
  statusCodes: Record<string, number>;
  scenarios?: LoadScenarioSummary[];
  /** Latency histogram (HDR, microseconds), base64 of its compressed encoding: merge, never average. */
  histogram?: string;
  /** Per-second series for charts: `t` is seconds since load start. */
  series?: { t: number; rps: number; errors: number; p50: number; p99: number }[];
  /**
   * Stopped (Ctrl-C, SIGTERM) before its duration was up: the figures cover the `durationMs` that
   * ran, and the run's status is `interrupted`.
   */
  interrupted?: boolean;
}

export interface CanaryStepResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number;
  error?: string;
  /** Artifact paths (screenshots, response snippets), relative to the run directory. */
  artifacts?: string[];
}

export interface CanaryRunResult {
  name: string;
  type: 'browser' | 'api';
  status: 'passed' | 'failed';
  startedAt: string;
  durationMs: number;
  attempts: number;
  steps: CanaryStepResult[];
  error?: string;
  /** The stage it ran in (`canaries` before load, `canaries-after` after chaos). */
  stage?: StageName;
  /** The named target it ran against (`environments.X.targets`), when the environment names its targets. */
  targetName?: string;
}

export interface ActivityRecord {
  name: string;
  actionId: string;
  status: 'succeeded' | 'failed' | 'skipped' | 'stopped';
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** What was injected, where (e.g. `error:status=503,percent=30 on 127.0.0.1:8081`). */
  output?: string;
  error?: string;
  /** Local engine: the action ran its `local` stand-in, not a local meaning of its own. */
  standIn?: true;
  /**
   * Gateway faults (local engine): requests that matched the fault's method and path while it was
   * on. None fails the activity: a fault that touched nothing proved nothing.
   */
  matchedRequests?: number;
  /** Of the matched requests, those the fault was applied to (its `percent`). */
  injectedRequests?: number;
  /** Every request the gateway served while the fault was on. */
  seenRequests?: number;
  /** A sample of the distinct paths among them (at most 20). */
  seenPaths?: string[];
  /** A process fault (local engine): what was done to which named target, and when it was back. */
  process?: ProcessFaultRecord;
  /** A command stand-in (local engine): its `run` and, when it has one, its `undo`. */
  commands?: CommandRecord[];
}

/** One process fault on a named local target, with its times (ISO) and recovery. */
export interface ProcessFaultRecord {
  /** The named target (`environments.X.targets`); `''` is the default target. */
  target: string;
  op: 'kill' | 'stop' | 'pause';
  /** The process (group leader) the fault hit. */
  pid?: number;
  /** When the fault took effect: the process had exited (kill, stop) or was sent SIGSTOP (pause). */
  faultedAt: string;
  /** How the process ended: its signal (`SIGKILL`, `SIGTERM`) or `exit <code>`; absent for pause. */
  exit?: string;
  /** When it was started again (kill, stop) or sent SIGCONT (pause). */
  restartedAt?: string;
  /** When its readiness check (`readyPath` or `readyTcp`) passed again; absent when it did not. */
  readyAt?: string;
  /** `faultedAt` → `readyAt`. */
  recoveryMs?: number;
  /**
   * The load running meanwhile (`load.tick` records, one a second, from the one after the fault up
   * to the first one after `readyAt` without errors): what the outage did to it. Absent when no load ran.
   */
  load?: {
    requests: number;
    errors: number;
    ticks: number;
    /** That first tick without errors: the service answered again. Absent when none came within 5 s. */
    clearAt?: string;
  };
}

/** One command of a stand-in, as it ran (argv, no shell). */
export interface CommandRecord {
  role: 'run' | 'undo';
  argv: string[];
  /** Its exit code; null when it was ended by a signal (`signal`) or did not start (`error`). */
  exitCode: number | null;
  signal?: string;
  /** Why it did not run or was cut short: it could not be spawned, or ran past its timeout. */
  error?: string;
  durationMs: number;
  /** The last lines of its output (at most 2 000 characters each). */
  stdoutTail: string;
  stderrTail: string;
}

/** A chaos experiment's journal (chaostoolkit-lib style): status kept apart from deviation. */
export interface ExperimentJournal {
  experiment: string;
  engine: 'local' | 'fis';
  status: JournalStatus;
  /** The steady state or an expectation did not hold. */
  deviated: boolean;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  dryRun: boolean;
  activities: ActivityRecord[];
  /** The stop condition that ended it, if one did. */
  stoppedBy?: string;
  /** FIS experiment id in the aws engine. */
  fisExperimentId?: string;
  /** `--dry-run` on the aws engine: the resources FIS resolved each target to (ListExperimentResolvedTargets). */
  resolvedTargets?: ResolvedTarget[];
  /** The environment's named target whose gateway took the faults (`localTarget`), when it names its targets. */
  targetName?: string;
  error?: string;
}

/** One resource an FIS target resolved to. */
export interface ResolvedTarget {
  targetName: string;
  resourceType: string;
  /** FIS's `targetInformation` (e.g. `{ arn }`). */
  targetInformation: Record<string, string>;
}

export interface ExpectationResult {
  name: string;
  kind: string;
  status: CheckStatus;
  /** Measured time (time to alarm, time to recover, trace lag …) in ms, when it happened. */
  measuredMs: number | null;
  deadlineMs: number | null;
  /** The event the measurement started from, e.g. `fault.start`. */
  after?: string;
  message: string;
  experiment?: string;
  runbook?: string;
  /** What an alarm expectation saw: datapoints and the transition it timed. */
  evidence?: AlarmEvidence;
}

export interface DrillReport {
  name: string;
  kind: 'alert' | 'dr';
  /** Measured milestones in ms from the start of the incident (fault injected). */
  timeToDetectMs: number | null;
  timeToAlarmMs: number | null;
  timeToMitigateMs: number | null;
  timeToRecoverMs: number | null;
  objectiveMs?: number | null;
  impact: { requests: number; failedRequests: number; durationMs: number };
  actionItems: string[];
  description?: string;
  /** The experiment that caused the incident. */
  experiment?: string;
  /** Alarm the drill is about (alert drills), or that detected the outage. */
  alarm?: string;
  /** Post-incident root cause, e.g. `injected by drill dr: process-kill`. */
  rootCause?: string;
  /** Wall clock of the incident's start (fault injected), ISO. */
  incidentStartedAt?: string;
  /** Time from the incident's start until the first notification was delivered, in ms. */
  timeToNotifyMs?: number | null;
  /** Post-incident timeline: detection, response, mitigation, resolution (and what measured them). */
  milestones?: DrillMilestone[];
  /** Alarm notifications delivered during the drill (alert drills). */
  notifications?: DrillNotification[];
  /** Runbooks of the alarms that fired (absolute path or URL). */
  runbooks?: { alarm: string; runbook: string }[];
  /** The previous drill of the same name and environment, from the run history (drill over drill). */
  previous?: PreviousDrill;
}

/** What a drill is compared with: the last one of its name and environment the history holds. */
export interface PreviousDrill {
  runId: string;
  startedAt: string;
  timeToDetectMs: number | null;
  timeToAlarmMs: number | null;
  timeToRecoverMs: number | null;
  impact: { requests: number; failedRequests: number; durationMs: number };
  /** Its action items still open, carried into this drill's. */
  actionItems: string[];
}

export interface DrillMilestone {
  name: 'detection' | 'response' | 'mitigation' | 'resolution';
  /** ms from the incident's start; `null` when it never happened. */
  atMs: number | null;
  /** Wall clock, ISO, when it happened. */
  at?: string;
  /** What marked it, e.g. `canary api-roundtrip failed`. */
  source: string;
}

export interface DrillNotification {
  alarm: string;
  severity: string;
  state: string;
  /** Where it was delivered (route name or URL). */
  route: string;
  /** ms from the incident's start. */
  atMs: number;
  at: string;
}

export interface Artifact {
  name: string;
  /** Path relative to the run directory. */
  path: string;
  /** `trace`: a Playwright trace of a failed browser canary attempt (`npx playwright show-trace`). */
  kind: 'report' | 'screenshot' | 'snippet' | 'har' | 'log' | 'script' | 'trace' | 'other';
}

export interface RunResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  runId: string;
  tool: { name: 'opsproof'; version: string };
  command: string;
  service: string;
  env: string;
  provider: 'embedded' | 'aws';
  target: string | null;
  /** Named targets (`environments.X.targets`): name → URL, named as `target` is; the first is `target`. */
  targets?: Record<string, string>;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  status: RunStatus;
  /** Set when status is `error`: one sentence on what stopped the run. */
  error?: string;
  checks: Check[];
  stages: StageResult[];
  load?: LoadSummary;
  canaries?: CanaryRunResult[];
  experiments?: ExperimentJournal[];
  expectations?: ExpectationResult[];
  drill?: DrillReport;
  artifacts: Artifact[];
  timeline: TimelineRecord[];
}

/** The overall status from the checks: any error ⇒ error, else any failure ⇒ failed. */
export function summarizeStatus(checks: readonly Pick<Check, 'status'>[]): RunStatus {
  if (checks.some((c) => c.status === 'error')) return 'error';
  if (checks.some((c) => c.status === 'failed')) return 'failed';
  return 'passed';
}

/** Failures first, then errors, then the rest in their original order: the order reports show. */
export function orderChecks<T extends Pick<Check, 'status'>>(checks: readonly T[]): T[] {
  const rank = (c: T) => (c.status === 'failed' ? 0 : c.status === 'error' ? 1 : 2);
  return checks
    .map((check, index) => ({ check, index }))
    .sort((a, b) => rank(a.check) - rank(b.check) || a.index - b.index)
    .map(({ check }) => check);
}

/** The exit code for a finished run's status. */
export function exitCodeForStatus(status: RunStatus): 0 | 1 | 3 | 130 {
  switch (status) {
    case 'passed':
      return 0;
    case 'failed':
      return 1;
    case 'error':
      return 3;
    case 'interrupted':
      return 130;
  }
}
