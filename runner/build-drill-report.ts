// A drill's measured numbers, checks and report from the run's records: pure and table-tested.

import { formatDuration, parseDurationStrict } from '../core/duration.ts';
import type { RecordOf, TimelineEventType, TimelineRecord } from '../core/events.ts';
import type {
  Check,
  DrillMilestone,
  DrillNotification,
  DrillReport,
  ExpectationResult,
  ExperimentJournal,
} from '../core/run-result.ts';
import type { Drill, Experiment } from '../core/schema.ts';
import { buildExperimentCheck } from './build-experiment-check.ts';

export type AlertDrill = Extract<Drill, { kind: 'alert' }>;
export type DrDrill = Extract<Drill, { kind: 'dr' }>;

/** The action items of the post-incident template, left for people to fill in. */
export const DRILL_ACTION_ITEMS = ['Immediate fix', 'Monitoring improvement', 'Process improvement'];

/** A moment of the incident: timeline ms and, when known, wall clock. */
export interface DrillPoint {
  t: number;
  at?: string;
}

function findRecord<T extends TimelineEventType>(
  records: readonly TimelineRecord[],
  type: T,
  predicate: (record: RecordOf<T>) => boolean = () => true,
  fromT = 0,
): RecordOf<T> | undefined {
  return records.find(
    (r): r is RecordOf<T> => r.type === type && r.t >= fromT && predicate(r as RecordOf<T>),
  );
}

/** The incident: the experiment's first fault, its end, and t0 (the fault's start, else `fallbackT`). */
export interface Incident {
  faultStart: RecordOf<'fault.start'> | undefined;
  faultEnd: RecordOf<'fault.end'> | undefined;
  t0: number;
}

export function findIncident(
  records: readonly TimelineRecord[],
  experiment: string,
  fallbackT: number,
): Incident {
  const faultStart = findRecord(records, 'fault.start', (r) => r.experiment === experiment);
  const faultEnd = faultStart
    ? findRecord(records, 'fault.end', (r) => r.faultId === faultStart.faultId)
    : undefined;
  return { faultStart, faultEnd, t0: faultStart?.t ?? fallbackT };
}

/** A point `t` of the timeline with its wall clock, counted from the fault's start. */
function pointAt(incident: Incident, t: number | undefined): DrillPoint | undefined {
  if (t === undefined) return undefined;
  const start = incident.faultStart;
  return start ? { t, at: new Date(Date.parse(start.at) + (t - incident.t0)).toISOString() } : { t };
}

function loadTicks(records: readonly TimelineRecord[]): RecordOf<'load.tick'>[] {
  return records.filter((r): r is RecordOf<'load.tick'> => r.type === 'load.tick');
}

/** Requests and failures the load saw from `fromT` to `toT` (timeline ms), from its per-second ticks. */
export function measureImpact(
  ticks: readonly RecordOf<'load.tick'>[],
  fromT: number,
  toT: number,
): DrillReport['impact'] {
  // A tick closes the second before it: it belongs to the window when that second overlaps it.
  const inside = ticks.filter((r) => r.t > fromT && r.t - 1000 < toT);
  return {
    // Ticks carry per-second rates; their sum over whole seconds is a count.
    requests: Math.round(inside.reduce((sum, r) => sum + r.rps, 0)),
    failedRequests: inside.reduce((sum, r) => sum + r.errors, 0),
    durationMs: Math.max(0, Math.round(toT - fromT)),
  };
}

/** A drill's deadline (time to alarm, to detect, to recover): passed when measured within the limit. */
export function buildDeadlineCheck(input: {
  id: string;
  name: string;
  measured: number | null;
  limitMs: number;
  what: string;
  runbook?: string | undefined;
  /** The alarm expectation that measured it: its evidence goes on the check, its reason when it saw nothing. */
  timedBy?: ExpectationResult | undefined;
  /** `--dry-run`: nothing was injected, so nothing is measured and nothing fails. */
  dryRun?: boolean | undefined;
}): Check {
  const { measured, limitMs, what, runbook, timedBy } = input;
  const passed = measured !== null && measured <= limitMs;
  return {
    id: input.id,
    kind: 'drill',
    name: input.name,
    status: input.dryRun ? 'skipped' : passed ? 'passed' : 'failed',
    measured: measured === null ? null : Math.round(measured),
    threshold: `<=${limitMs}ms`,
    unit: 'ms',
    message: input.dryRun
      ? 'dry run: no fault injected, nothing measured'
      : measured === null
        ? (timedBy?.message ?? `${what} did not happen within ${formatDuration(limitMs)}`)
        : `${what} after ${formatDuration(measured)}${passed ? '' : `, later than ${formatDuration(limitMs)}`}`,
    stage: 'drill',
    ...(runbook ? { runbook } : {}),
    ...(timedBy?.evidence ? { evidence: timedBy.evidence } : {}),
  };
}

function milestone(name: DrillMilestone['name'], t0: number, point: DrillPoint | undefined, source: string) {
  const atMs = point ? Math.round(point.t - t0) : null;
  return { name, atMs, ...(point?.at ? { at: point.at } : {}), source } satisfies DrillMilestone;
}

const rootCause = (drillName: string, experiment: string, description: string | undefined) =>
  `injected by drill ${drillName}: ${experiment}${description ? ` (${description})` : ''}`;

/** What both drill reports are built from. */
interface DrillRecords {
  drillName: string;
  /** The experiment's journal: its check (`drill:<name>:experiment`), and whether this was a dry run. */
  journal: ExperimentJournal;
  experiment: Pick<Experiment, 'description'>;
  runbook?: string | undefined;
  /** The run's timeline records: the load's ticks (impact), the target's exit and restart. */
  records: readonly TimelineRecord[];
  /** Where the incident ends for its impact: the resolution, else when the drill stopped watching. */
  endT: number;
}

const experimentCheckOf = (input: DrillRecords) =>
  buildExperimentCheck(input.journal, input.experiment, {
    id: `drill:${input.drillName}:experiment`,
    stage: 'drill',
  });

/** When the alert drill's alarm entered ALARM and returned to OK, and the times measured from them. */
export interface AlertPoints {
  incident: Incident;
  /** The alarm's transitions as the timeline recorded them (pushed state changes). */
  alarmRecord: RecordOf<'alarm.state'> | undefined;
  okRecord: RecordOf<'alarm.state'> | undefined;
  /** The transitions, from the records or, without pushed state changes, from the measured times. */
  alarmPoint: DrillPoint | undefined;
  okPoint: DrillPoint | undefined;
  timeToAlarmMs: number | null;
  recoverAfterFaultEndMs: number | null;
  timeToRecoverMs: number | null;
}

export function findAlertPoints(
  records: readonly TimelineRecord[],
  input: { experiment: string; alarm: string; fired?: ExpectationResult; recovered?: ExpectationResult },
): AlertPoints {
  const incident = findIncident(records, input.experiment, 0);
  const { faultStart, faultEnd, t0 } = incident;
  const isAlarm = (to: string) => (r: RecordOf<'alarm.state'>) => r.alarm === input.alarm && r.to === to;
  const alarmRecord = faultStart ? findRecord(records, 'alarm.state', isAlarm('ALARM'), t0) : undefined;
  const okRecord =
    faultEnd && alarmRecord ? findRecord(records, 'alarm.state', isAlarm('OK'), alarmRecord.t) : undefined;
  const timeToAlarmMs = input.fired?.measuredMs ?? null;
  const recoverAfterFaultEndMs = input.recovered?.measuredMs ?? null;
  return {
    incident,
    alarmRecord,
    okRecord,
    alarmPoint:
      alarmRecord ??
      (faultStart && timeToAlarmMs !== null ? pointAt(incident, t0 + timeToAlarmMs) : undefined),
    okPoint:
      okRecord ??
      (faultEnd && recoverAfterFaultEndMs !== null
        ? pointAt(incident, faultEnd.t + recoverAfterFaultEndMs)
        : undefined),
    timeToAlarmMs,
    recoverAfterFaultEndMs,
    timeToRecoverMs:
      recoverAfterFaultEndMs !== null && faultEnd
        ? Math.round(faultEnd.t - t0 + recoverAfterFaultEndMs)
        : null,
  };
}

/** What the alert drill's notification path showed: its checks, the deliveries, and the response milestone. */
export interface AlertNotifications {
  checks: Check[];
  notifications: DrillNotification[];
  timeToNotifyMs: number | null;
  response: DrillMilestone;
}

/** The alert drill's checks (experiment, alarm, notification path, recovery) and its report. */
export function buildAlertDrillReport(
  input: DrillRecords & {
    drill: AlertDrill;
    points: AlertPoints;
    notified: AlertNotifications;
    fired?: ExpectationResult | undefined;
    recovered?: ExpectationResult | undefined;
  },
): { report: DrillReport; checks: Check[] } {
  const { drillName, drill, points, notified, runbook } = input;
  const { t0, faultStart, faultEnd } = points.incident;
  const alarmWithinMs = parseDurationStrict(drill.alarmWithin);
  const recoverWithinMs = parseDurationStrict(drill.recoverWithin);
  const checks: Check[] = [
    experimentCheckOf(input),
    buildDeadlineCheck({
      id: `drill:${drillName}:alarm`,
      name: `${drill.alarm} enters ALARM within ${drill.alarmWithin} of the fault`,
      measured: points.timeToAlarmMs,
      limitMs: alarmWithinMs,
      what: `${drill.alarm} entered ALARM`,
      runbook,
      timedBy: input.fired,
      dryRun: input.journal.dryRun,
    }),
    ...notified.checks,
    buildDeadlineCheck({
      id: `drill:${drillName}:recover`,
      name: `${drill.alarm} returns to OK within ${drill.recoverWithin} of the fault's end`,
      measured: points.recoverAfterFaultEndMs,
      limitMs: recoverWithinMs,
      what: `${drill.alarm} returned to OK`,
      runbook,
      timedBy: input.recovered,
      dryRun: input.journal.dryRun,
    }),
  ];
  const report: DrillReport = {
    name: drillName,
    kind: 'alert',
    description: drill.description,
    experiment: drill.experiment,
    alarm: drill.alarm,
    rootCause: rootCause(drillName, drill.experiment, input.experiment.description),
    ...(faultStart ? { incidentStartedAt: faultStart.at } : {}),
    timeToDetectMs: points.timeToAlarmMs,
    timeToAlarmMs: points.timeToAlarmMs,
    timeToNotifyMs: notified.timeToNotifyMs,
    timeToMitigateMs: faultEnd ? Math.round(faultEnd.t - t0) : null,
    timeToRecoverMs: points.timeToRecoverMs,
    objectiveMs: recoverWithinMs,
    impact: measureImpact(loadTicks(input.records), t0, input.endT),
    milestones: [
      milestone('detection', t0, points.alarmPoint, `alarm ${drill.alarm} entered ALARM`),
      notified.response,
      milestone('mitigation', t0, faultEnd, `fault of ${drill.experiment} removed`),
      milestone('resolution', t0, points.okPoint, `alarm ${drill.alarm} returned to OK`),
    ],
    notifications: notified.notifications,
    runbooks: points.alarmPoint && runbook ? [{ alarm: drill.alarm, runbook }] : [],
    actionItems: [...DRILL_ACTION_ITEMS],
  };
  return { report, checks };
}

/** One run of a DR drill's detector (canary or health probe). */
export interface ProbeRecord {
  startT: number;
  endT: number;
  ok: boolean;
  detail: string;
}

/** The detector's first failure at or after the incident's start: the outage seen. */
export function findFirstFailure(detector: readonly ProbeRecord[], t0: number): ProbeRecord | undefined {
  return detector.find((r) => !r.ok && r.endT >= t0);
}

/**
 * Recovery: after the fault's end and the detector's last failure, the detector passes again and the
 * health probe answers; its time is the later of the two passes.
 */
export function findRecovery(
  detector: readonly ProbeRecord[],
  health: readonly ProbeRecord[],
  t0: number,
  faultEndT: number | undefined,
): { t: number; pass: ProbeRecord; healthy: ProbeRecord } | undefined {
  const failed = findFirstFailure(detector, t0);
  const after = Math.max(failed?.endT ?? t0, faultEndT ?? t0);
  const lastFailure = detector.filter((r) => !r.ok && r.endT >= t0).at(-1);
  const from = Math.max(after, lastFailure?.endT ?? t0);
  const pass = detector.find((r) => r.ok && r.startT >= from);
  const healthy = health.find((r) => r.ok && r.startT >= (faultEndT ?? t0));
  return pass && healthy ? { t: Math.max(pass.endT, healthy.endT), pass, healthy } : undefined;
}

/** The DR drill's checks (experiment, detection, RTO) and its report. */
export function buildDrDrillReport(
  input: DrillRecords & {
    drill: DrDrill;
    incident: Incident;
    /** The detector's runs: the canary's when `detectBy.canary`, else the health probe's. */
    detector: readonly ProbeRecord[];
    canaryName?: string | undefined;
    alarmName?: string | undefined;
    /** The `detectBy.alarm` expectation's result. */
    alarmResult?: ExpectationResult | undefined;
    healthUrl: string;
    readyPath: string;
    provider: 'embedded' | 'aws';
    recovered: { t: number } | undefined;
  },
): { report: DrillReport; checks: Check[] } {
  const { drillName, drill, incident, canaryName, alarmName, alarmResult, runbook } = input;
  const { t0, faultStart, faultEnd } = incident;
  const rtoMs = parseDurationStrict(drill.rto);
  const detectWithinMs = parseDurationStrict(drill.detectWithin);
  const failed = findFirstFailure(input.detector, t0);
  let detectT: number | undefined;
  let detectSource: string;
  if (alarmName) {
    detectT = alarmResult?.measuredMs != null ? t0 + alarmResult.measuredMs : undefined;
    detectSource = `alarm ${alarmName} entered ALARM`;
  } else if (canaryName) {
    detectT = failed?.endT;
    detectSource = `canary ${canaryName} failed${failed ? `: ${failed.detail}` : ''}`;
  } else {
    detectT = failed?.endT;
    detectSource = `health probe ${input.healthUrl} failed${failed ? ` (${failed.detail})` : ''}`;
  }
  const timeToDetectMs = detectT === undefined ? null : Math.round(detectT - t0);
  const timeToRecoverMs = input.recovered ? Math.round(input.recovered.t - t0) : null;
  const detector = canaryName ? `canary ${canaryName}` : 'health probe';
  const checks: Check[] = [
    experimentCheckOf(input),
    buildDeadlineCheck({
      id: `drill:${drillName}:detect`,
      name: `outage detected within ${drill.detectWithin}`,
      measured: timeToDetectMs,
      limitMs: detectWithinMs,
      what: `outage detected (${detectSource})`,
      runbook,
      timedBy: alarmName ? alarmResult : undefined,
      dryRun: input.journal.dryRun,
    }),
    buildDeadlineCheck({
      id: `drill:${drillName}:rto`,
      name: `recovered within the RTO (${drill.rto})`,
      measured: timeToRecoverMs,
      limitMs: rtoMs,
      what: `target healthy and ${detector} passing again`,
      dryRun: input.journal.dryRun,
    }),
  ];
  const report: DrillReport = {
    name: drillName,
    kind: 'dr',
    description: drill.description,
    experiment: drill.experiment,
    ...(alarmName ? { alarm: alarmName } : {}),
    rootCause: rootCause(drillName, drill.experiment, input.experiment.description),
    ...(faultStart ? { incidentStartedAt: faultStart.at } : {}),
    timeToDetectMs,
    timeToAlarmMs: alarmName ? timeToDetectMs : null,
    timeToMitigateMs: faultEnd ? Math.round(faultEnd.t - t0) : null,
    timeToRecoverMs,
    objectiveMs: rtoMs,
    impact: measureImpact(loadTicks(input.records), t0, input.endT),
    milestones: [
      milestone('detection', t0, pointAt(incident, detectT), detectSource),
      milestone(
        'response',
        t0,
        findRecord(input.records, 'target.exit', () => true, t0),
        input.provider === 'embedded'
          ? 'process supervisor saw the exit and started a new process'
          : 'the orchestrator replaces the stopped task',
      ),
      milestone(
        'mitigation',
        t0,
        findRecord(input.records, 'target.start', () => true, t0) ?? faultEnd,
        `target process ready again (${input.readyPath} answered)`,
      ),
      milestone(
        'resolution',
        t0,
        pointAt(incident, input.recovered?.t),
        `target healthy and ${detector} passing`,
      ),
    ],
    runbooks: alarmName && runbook && alarmResult?.status === 'passed' ? [{ alarm: alarmName, runbook }] : [],
    actionItems: [...DRILL_ACTION_ITEMS],
  };
  return { report, checks };
}
