/**
 * Expectations evaluated against the Timeline and the Telemetry port, with deadlines: alarm
 * transitions, stays-OK, traces and logs that appear, metrics within bounds. One file, over 400 lines,
 * because every kind shares the anchor search, the deadline handling and the alarm evidence; the
 * load windows an expectation watches are in find-load-windows.ts.
 */

import type { Clock } from '../core/clock.ts';
import { formatDuration, parseDurationStrict } from '../core/duration.ts';
import { describeError, EnvironmentError } from '../core/errors.ts';
import type { RecordOf, TimelineRecord } from '../core/events.ts';
import {
  type AlarmEvidence,
  type AlarmTransition,
  type CheckStatus,
  type ExpectationResult,
  MAX_EVIDENCE_DATAPOINTS,
} from '../core/run-result.ts';
import type { Expectation, SuiteAlarmDefinition } from '../core/schema.ts';
import type { Timeline } from '../core/timeline.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { AlarmStateChange, AlarmStateValue, MetricStatisticsDatapoint } from '../telemetry/types.ts';
import { resolveWatchWindow } from './find-load-windows.ts';
import { pollUntil } from './poll-until.ts';

export interface ExpectationContext {
  timeline: Timeline;
  telemetry: Telemetry;
  clock: Clock;
  signal: AbortSignal;
  /** The experiment these expectations belong to: anchors are its events. */
  experiment?: string;
  /** Alarm definitions, for runbooks in results. */
  alarms?: readonly SuiteAlarmDefinition[];
  /** Embedded alarm time scale, to state measured times in alarm time too. @defaultValue 1 */
  timeScale?: number;
  /** Poll interval of the provider reads. @defaultValue 250 */
  pollIntervalMs?: number;
}

type AnchorName = Extract<Expectation, { after: string }>['after'];

/** The default name of an expectation: what it asserts, in words. Pure. */
export function describeExpectation(e: Expectation): string {
  if (e.name) return e.name;
  switch (e.kind) {
    case 'alarm-fires':
      return `${e.alarm} enters ALARM within ${e.within} after ${e.after}`;
    case 'alarm-recovers':
      return `${e.alarm} returns to OK within ${e.within} after ${e.after}`;
    case 'alarm-stays-ok':
      return `${e.alarm} stays OK during ${e.during === 'load' ? 'load' : e.during}`;
    case 'trace-appears':
      return `trace with ${formatPairs(e.attributes)} appears within ${e.within} after ${e.after}`;
    case 'log-appears':
      return `log line with ${formatPairs(e.fields)} appears within ${e.within} after ${e.after}`;
    case 'metric-within':
      return `${e.namespace} ${e.metricName} ${e.statistic} stays within ${e.min ?? '-∞'}..${e.max ?? '∞'}`;
  }
}

function formatPairs(pairs: Record<string, unknown>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
}

/**
 * The first transition into `target` at or after `fromWall`, judged against the deadline. Pure.
 * `measuredMs` is wall time from the anchor.
 */
export function judgeTransition(
  changes: readonly AlarmStateChange[],
  target: AlarmStateValue,
  fromWall: number,
): { change: AlarmStateChange; measuredMs: number } | undefined {
  const change = changes
    .filter((c) => c.newState === target && c.timestamp.getTime() >= fromWall)
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())[0];
  return change && { change, measuredMs: change.timestamp.getTime() - fromWall };
}

/**
 * An alarm check's evidence: the datapoints read for its window (the most recent
 * {@link MAX_EVIDENCE_DATAPOINTS} listed, all counted; `undefined` = the provider could not say) and
 * the transition it timed. Pure.
 */
export function buildAlarmEvidence(
  alarm: string,
  window: { from: number; to: number },
  points: readonly MetricStatisticsDatapoint[] | undefined,
  transition?: AlarmTransition,
): AlarmEvidence {
  return {
    alarm,
    window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
    datapointCount: points ? points.length : null,
    datapoints: (points ?? [])
      .slice(-MAX_EVIDENCE_DATAPOINTS)
      .map((p) => ({ t: p.timestamp.toISOString(), value: p.value, ...(p.alarm ? { alarm: p.alarm } : {}) })),
    ...(transition ? { transition } : {}),
  };
}

/**
 * Why an alarm-fires / alarm-recovers check saw no transition into `target` after its anchor. An
 * alarm already in `target` proves nothing about the fault. Pure.
 */
export function describeMissingTransition(input: {
  alarm: string;
  target: AlarmStateValue;
  after: string;
  within: string;
  state: AlarmStateValue | undefined;
}): string {
  const { alarm, target, after, within, state } = input;
  if (state === target)
    return `${alarm} was already ${target} before ${after}; no transition into ${target} after it was seen`;
  return `${alarm} did not ${target === 'ALARM' ? 'enter ALARM' : 'return to OK'} within ${within} after ${after} (state: ${state ?? 'unknown'})`;
}

/**
 * The verdict of an alarm-stays-ok check that saw no transition into ALARM in its window: it passes
 * only when the alarm is out of ALARM and evaluated real datapoints in the window (an alarm on missing
 * data shows nothing). `datapointCount` null = the provider could not list them. Pure.
 */
export function judgeStaysOk(input: {
  alarm: string;
  during: string;
  windowMs: number;
  state: AlarmStateValue | undefined;
  datapointCount: number | null;
}): { status: CheckStatus; measuredMs: number | null; message: string } {
  const { alarm, windowMs, state, datapointCount } = input;
  const during = input.during === 'load' ? 'load' : `the ${input.during} window`;
  const window = formatDuration(windowMs);
  if (state === 'ALARM')
    return { status: 'failed', measuredMs: 0, message: `${alarm} was in ALARM during the ${window} window` };
  if (datapointCount === null)
    return {
      status: 'failed',
      measuredMs: null,
      message: `the datapoints of ${alarm} during ${during} could not be read: nothing was shown`,
    };
  if (datapointCount === 0)
    return {
      status: 'failed',
      measuredMs: null,
      message: `no datapoint reached ${alarm} during ${during}: nothing was shown (its state ${state ?? 'unknown'} rests on missing data)`,
    };
  return {
    status: 'passed',
    measuredMs: Math.round(windowMs),
    message: `${alarm} stayed out of ALARM for the ${window} window over ${datapointCount} datapoint${datapointCount === 1 ? '' : 's'} (now ${state})`,
  };
}

/** Evaluates every expectation concurrently; each emits an `expectation` event when decided. */
export async function evaluateExpectations(
  expectations: readonly Expectation[],
  context: ExpectationContext,
): Promise<ExpectationResult[]> {
  return Promise.all(expectations.map((e) => evaluateExpectation(e, context)));
}

async function evaluateExpectation(e: Expectation, context: ExpectationContext): Promise<ExpectationResult> {
  const name = describeExpectation(e);
  let result: Omit<ExpectationResult, 'name' | 'kind'>;
  try {
    result = await evaluate(e, context);
  } catch (error) {
    if (context.signal.aborted) throw error;
    result = { status: 'error', measuredMs: null, deadlineMs: null, message: describeError(error) };
  }
  const runbook = 'alarm' in e ? context.alarms?.find((a) => a.AlarmName === e.alarm)?.runbook : undefined;
  const full: ExpectationResult = {
    name,
    kind: e.kind,
    ...result,
    ...(context.experiment ? { experiment: context.experiment } : {}),
    ...(runbook ? { runbook } : {}),
  };
  context.timeline.emit({
    type: 'expectation',
    name,
    status: full.status,
    measuredMs: full.measuredMs,
    deadlineMs: full.deadlineMs,
    message: full.message,
  });
  return full;
}

type Outcome = Omit<ExpectationResult, 'name' | 'kind'>;

async function evaluate(e: Expectation, ctx: ExpectationContext): Promise<Outcome> {
  switch (e.kind) {
    case 'alarm-fires':
      return evaluateAlarmTransition(e.alarm, 'ALARM', e.within, e.after, ctx);
    case 'alarm-recovers':
      return evaluateAlarmTransition(e.alarm, 'OK', e.within, e.after, ctx);
    case 'alarm-stays-ok':
      return evaluateStaysOk(e.alarm, e.during, ctx);
    case 'trace-appears':
      return evaluateAppears('trace', e.attributes, e.within, e.after, ctx);
    case 'log-appears':
      return evaluateAppears('log', e.fields, e.within, e.after, ctx);
    case 'metric-within':
      return evaluateMetricWithin(e, ctx);
  }
}

/** Does this anchor record belong to the context's experiment (when there is one)? */
function anchorMatches(record: TimelineRecord, experiment: string | undefined): boolean {
  if (!experiment) return true;
  if (record.type === 'fault.start' || record.type === 'experiment.start' || record.type === 'experiment.end')
    return record.experiment === undefined || record.experiment === experiment;
  return true;
}

/** The latest anchor event already on the timeline, or the next one within `waitMs`. */
async function findAnchor(
  after: AnchorName,
  ctx: ExpectationContext,
  waitMs: number,
): Promise<TimelineRecord | undefined> {
  const existing = ctx.timeline
    .records()
    .filter((r) => r.type === after && anchorMatches(r, ctx.experiment))
    .at(-1);
  if (existing) return existing;
  const startedAt = ctx.timeline.elapsed();
  return pollUntil(
    async () =>
      ctx.timeline
        .records()
        .find((r) => r.type === after && r.t >= startedAt && anchorMatches(r, ctx.experiment)),
    {
      clock: ctx.clock,
      signal: ctx.signal,
      remainingMs: () => startedAt + waitMs - ctx.timeline.elapsed(),
      intervalMs: ctx.pollIntervalMs,
      subscribe: (wake) => ctx.timeline.on((r) => r.type === after && wake()),
    },
  );
}

async function requireAlarm(alarm: string, ctx: ExpectationContext): Promise<Outcome | undefined> {
  const state = await ctx.telemetry.getAlarmState(alarm);
  if (state !== undefined) return undefined;
  const known = (await ctx.telemetry.listAlarmNames?.()) ?? [];
  return {
    status: 'error',
    measuredMs: null,
    deadlineMs: null,
    message: `unknown alarm "${alarm}"; known alarms: ${known.length ? known.map((k) => `"${k}"`).join(', ') : '(none)'}`,
  };
}

function alarmTimeNote(ms: number, ctx: ExpectationContext): string {
  const scale = ctx.timeScale ?? 1;
  return scale === 1 ? '' : ` (${formatDuration(ms * scale)} of alarm time at timeScale ${scale})`;
}

async function evaluateAlarmTransition(
  alarm: string,
  target: AlarmStateValue,
  within: string,
  after: AnchorName,
  ctx: ExpectationContext,
): Promise<Outcome> {
  const deadlineMs = parseDurationStrict(within, 'within');
  const unknown = await requireAlarm(alarm, ctx);
  if (unknown) return { ...unknown, deadlineMs, after };
  const anchor = await findAnchor(after, ctx, deadlineMs);
  if (!anchor) {
    return {
      status: 'failed',
      measuredMs: null,
      deadlineMs,
      after,
      message: `${after} did not happen within ${within}, so ${alarm} could not be timed`,
    };
  }
  const anchorWall = Date.parse(anchor.at);
  const verb = target === 'ALARM' ? 'entered ALARM' : 'returned to OK';
  const pushed: AlarmStateChange[] = [];
  let initialState: AlarmStateValue | undefined;
  let historyWorks = true;
  const found = await pollUntil(
    async () => {
      // Timeline events (embedded, push path) are exact; history covers everything else.
      const fromTimeline = ctx.timeline
        .ofType('alarm.state')
        .find((r: RecordOf<'alarm.state'>) => r.alarm === alarm && r.to === target && r.t >= anchor.t);
      if (fromTimeline) return timedTransition(fromTimeline.t - anchor.t, transitionOf(fromTimeline));
      let history: AlarmStateChange[] = [];
      if (historyWorks) {
        try {
          history = await ctx.telemetry.getAlarmHistory(alarm, { from: new Date(anchorWall) });
        } catch (error) {
          // Some emulators lack DescribeAlarmHistory: fall back to watching the state.
          if (!(error instanceof EnvironmentError) || error.problem !== 'aws-api') throw error;
          historyWorks = false;
        }
      }
      const hit = judgeTransition([...pushed, ...history], target, anchorWall);
      if (hit) return timedTransition(hit.measuredMs, transitionOf(hit.change));
      if (historyWorks) return undefined;
      const state = await ctx.telemetry.getAlarmState(alarm);
      initialState ??= state;
      if (state !== undefined && state === target && initialState !== target) {
        const at = ctx.clock.wall().getTime();
        return timedTransition(at - anchorWall, {
          from: initialState ?? 'INSUFFICIENT_DATA',
          to: target,
          at: new Date(at).toISOString(),
          reason: `state read as ${target}`,
        });
      }
      return undefined;
    },
    {
      clock: ctx.clock,
      signal: ctx.signal,
      remainingMs: () => anchor.t + deadlineMs - ctx.timeline.elapsed(),
      intervalMs: ctx.pollIntervalMs,
      subscribe: (wake) => {
        const offTimeline = ctx.timeline.on((r) => r.type === 'alarm.state' && r.alarm === alarm && wake());
        const offPush = ctx.telemetry.onAlarmStateChange?.((c) => {
          if (c.alarmName === alarm) {
            pushed.push(c);
            wake();
          }
        });
        return () => {
          offTimeline();
          offPush?.();
        };
      },
    },
  );
  // Evidence: what the alarm evaluated from the anchor to the transition (or to the deadline).
  const windowEnd = found ? Date.parse(found.transition.at) : ctx.clock.wall().getTime();
  const evidence = buildAlarmEvidence(
    alarm,
    { from: anchorWall, to: windowEnd },
    await readAlarmDatapoints(alarm, anchorWall, windowEnd, ctx),
    found?.transition,
  );
  if (found) {
    const inTime = found.measuredMs <= deadlineMs;
    return {
      status: inTime ? 'passed' : 'failed',
      measuredMs: Math.round(found.measuredMs),
      deadlineMs,
      after,
      message: `${alarm} ${verb} ${formatDuration(found.measuredMs)} after ${after}${alarmTimeNote(found.measuredMs, ctx)}${inTime ? '' : `, later than ${within}`}: ${found.transition.reason}`,
      evidence,
    };
  }
  const state = await ctx.telemetry.getAlarmState(alarm);
  return {
    status: 'failed',
    measuredMs: null,
    deadlineMs,
    after,
    message: describeMissingTransition({ alarm, target, after, within, state }),
    evidence,
  };
}

function timedTransition(measuredMs: number, transition: AlarmTransition) {
  return { measuredMs, transition };
}

/** A timeline `alarm.state` record or a provider's state change as evidence. */
function transitionOf(change: RecordOf<'alarm.state'> | AlarmStateChange): AlarmTransition {
  return 'alarmName' in change
    ? {
        from: change.oldState,
        to: change.newState,
        at: change.timestamp.toISOString(),
        reason: change.reason,
      }
    : { from: change.from, to: change.to, at: change.at, reason: change.reason };
}

/**
 * The datapoints the alarm evaluated in a wall-clock window; `undefined` when the provider cannot
 * list them (or its API does not answer, as some emulators).
 */
async function readAlarmDatapoints(
  alarm: string,
  fromWall: number,
  toWall: number,
  ctx: ExpectationContext,
): Promise<MetricStatisticsDatapoint[] | undefined> {
  if (!ctx.telemetry.getAlarmDatapoints) return undefined;
  try {
    return await ctx.telemetry.getAlarmDatapoints(alarm, { from: new Date(fromWall), to: new Date(toWall) });
  } catch (error) {
    if (error instanceof EnvironmentError && error.problem === 'aws-api') return undefined;
    throw error;
  }
}

/**
 * The alarm's state over a watch window that saw no transition into ALARM: ALARM if it left ALARM
 * inside the window (it was in ALARM at its start), else its state at the window's end from the
 * timeline's transitions (or the one after the window's `from`), else — a provider whose changes the
 * timeline does not carry — its current state. Not the current state first: a gate reads its
 * stays-OK checks after chaos, when a later fault may hold the alarm in ALARM.
 */
async function stateDuringWindow(
  alarm: string,
  window: { fromT: number; toT: number },
  history: readonly AlarmStateChange[],
  ctx: ExpectationContext,
): Promise<AlarmStateValue | undefined> {
  const records = ctx.timeline.ofType('alarm.state').filter((r) => r.alarm === alarm);
  // The timeline's records are placed exactly; the provider's history only to the millisecond, so
  // a recovery just before the window can come back from a query that starts at it.
  const leftAlarm =
    records.length > 0
      ? records.some((r) => r.t >= window.fromT && r.t <= window.toT && r.from === 'ALARM')
      : history.some((c) => c.oldState === 'ALARM');
  if (leftAlarm) return 'ALARM';
  const atEnd = records.filter((r) => r.t <= window.toT).at(-1);
  if (atEnd) return atEnd.to;
  const next = records.find((r) => r.t > window.toT);
  if (next) return next.from;
  return ctx.telemetry.getAlarmState(alarm);
}

async function evaluateStaysOk(alarm: string, during: string, ctx: ExpectationContext): Promise<Outcome> {
  const unknown = await requireAlarm(alarm, ctx);
  if (unknown) return unknown;
  const window = await resolveWatchWindow(during, ctx);
  if (!window) {
    return {
      status: 'skipped',
      measuredMs: null,
      deadlineMs: null,
      message: 'no load ran without a fault, so there is no healthy window to watch',
    };
  }
  const { fromT, toT } = window;
  const windowMs = toT - fromT;
  const nowWall = ctx.clock.wall().getTime();
  const fromWall = nowWall - (ctx.timeline.elapsed() - fromT);
  const toWall = nowWall - (ctx.timeline.elapsed() - toT);
  const fromTimeline = ctx.timeline
    .ofType('alarm.state')
    .find((r) => r.alarm === alarm && r.to === 'ALARM' && r.t >= fromT && r.t <= toT);
  const history = await ctx.telemetry.getAlarmHistory(alarm, {
    from: new Date(fromWall),
    to: new Date(toWall),
  });
  const firstAlarm = fromTimeline
    ? timedTransition(fromTimeline.t - fromT, transitionOf(fromTimeline))
    : (() => {
        const hit = judgeTransition(history, 'ALARM', fromWall);
        return hit && hit.change.timestamp.getTime() <= toWall
          ? timedTransition(hit.measuredMs, transitionOf(hit.change))
          : undefined;
      })();
  const evidence = buildAlarmEvidence(
    alarm,
    { from: fromWall, to: toWall },
    await readAlarmDatapoints(alarm, fromWall, toWall, ctx),
    firstAlarm?.transition,
  );
  if (firstAlarm) {
    return {
      status: 'failed',
      measuredMs: Math.round(firstAlarm.measuredMs),
      deadlineMs: windowMs,
      message: `${alarm} entered ALARM ${formatDuration(firstAlarm.measuredMs)} into the ${formatDuration(windowMs)} window: ${firstAlarm.transition.reason}`,
      evidence,
    };
  }
  const state = await stateDuringWindow(alarm, { fromT, toT }, history, ctx);
  const verdict = judgeStaysOk({
    alarm,
    during,
    windowMs,
    state,
    datapointCount: evidence.datapointCount,
  });
  return { ...verdict, deadlineMs: windowMs, evidence };
}

async function evaluateAppears(
  what: 'trace' | 'log',
  match: Record<string, string | number | boolean>,
  within: string,
  after: AnchorName,
  ctx: ExpectationContext,
): Promise<Outcome> {
  const deadlineMs = parseDurationStrict(within, 'within');
  const anchor = await findAnchor(after, ctx, deadlineMs);
  if (!anchor) {
    return {
      status: 'failed',
      measuredMs: null,
      deadlineMs,
      after,
      message: `${after} did not happen within ${within}`,
    };
  }
  const anchorWall = Date.parse(anchor.at);
  const query = formatPairs(match);
  const found = await pollUntil(
    async () => {
      if (what === 'trace') {
        const traces = await ctx.telemetry.findTraces({
          attributes: match,
          from: new Date(anchorWall - 1000),
          limit: 1000,
        });
        const first = traces.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime())[0];
        return (
          first && {
            id: first.traceId,
            seenAt: first.receivedAt.getTime(),
            startedAt: first.startTime.getTime(),
          }
        );
      }
      const logs = await ctx.telemetry.findLogs({
        fields: match,
        from: new Date(anchorWall - 1000),
        limit: 1,
      });
      const first = logs[0];
      return (
        first && { id: undefined, seenAt: first.receivedAt.getTime(), startedAt: first.timestamp.getTime() }
      );
    },
    {
      clock: ctx.clock,
      signal: ctx.signal,
      remainingMs: () => anchor.t + deadlineMs - ctx.timeline.elapsed(),
      intervalMs: ctx.pollIntervalMs,
    },
  );
  if (!found) {
    return {
      status: 'failed',
      measuredMs: null,
      deadlineMs,
      after,
      message: `no ${what} with ${query} within ${within} after ${after}`,
    };
  }
  const measuredMs = Math.max(0, found.seenAt - anchorWall);
  const ingestLag = Math.max(0, found.seenAt - found.startedAt);
  if (what === 'trace')
    ctx.timeline.emit({ type: 'trace.seen', traceId: found.id ?? '', lagMs: ingestLag, query });
  else ctx.timeline.emit({ type: 'log.seen', lagMs: ingestLag, query });
  const inTime = measuredMs <= deadlineMs;
  return {
    status: inTime ? 'passed' : 'failed',
    measuredMs: Math.round(measuredMs),
    deadlineMs,
    after,
    message: `${what}${found.id ? ` ${found.id}` : ''} with ${query} seen ${formatDuration(measuredMs)} after ${after} (${formatDuration(ingestLag)} after it was ${what === 'trace' ? 'started' : 'written'})${inTime ? '' : `, later than ${within}`}`,
  };
}

async function evaluateMetricWithin(
  e: Extract<Expectation, { kind: 'metric-within' }>,
  ctx: ExpectationContext,
): Promise<Outcome> {
  if (!ctx.telemetry.getMetricStatistics) {
    return {
      status: 'skipped',
      measuredMs: null,
      deadlineMs: null,
      message: 'this provider cannot read metric statistics',
    };
  }
  const window = await resolveWatchWindow(e.during, ctx);
  if (!window) {
    return { status: 'skipped', measuredMs: null, deadlineMs: null, message: 'no load ran without a fault' };
  }
  const { fromT, toT } = window;
  const nowWall = ctx.clock.wall().getTime();
  const elapsed = ctx.timeline.elapsed();
  const periodSeconds = Math.max(1, Math.round(parseDurationStrict(e.period, 'period') / 1000));
  const points = await ctx.telemetry.getMetricStatistics({
    id: {
      Namespace: e.namespace,
      MetricName: e.metricName,
      Dimensions: Object.entries(e.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
    },
    statistic: e.statistic as never,
    periodSeconds,
    from: new Date(nowWall - (elapsed - fromT)),
    to: new Date(nowWall - (elapsed - toT) + 1),
  });
  const bounds = `${e.min ?? '-∞'}..${e.max ?? '∞'}`;
  if (points.length === 0) {
    return {
      status: 'failed',
      measuredMs: null,
      deadlineMs: null,
      message: `no ${e.metricName} datapoints in the window`,
    };
  }
  const outside = points.filter(
    (p) => (e.min !== undefined && p.value < e.min) || (e.max !== undefined && p.value > e.max),
  );
  const status: CheckStatus = outside.length === 0 ? 'passed' : 'failed';
  const worst = outside[0] ?? points.reduce((a, b) => (Math.abs(b.value) > Math.abs(a.value) ? b : a));
  return {
    status,
    measuredMs: null,
    deadlineMs: null,
    message:
      status === 'passed'
        ? `${points.length} ${e.statistic} datapoints of ${e.metricName} within ${bounds}`
        : `${outside.length} of ${points.length} ${e.statistic} datapoints of ${e.metricName} outside ${bounds}, e.g. ${worst.value} at ${worst.timestamp.toISOString()}`,
  };
}

/**
 * The threshold an expectation's measured time is held to, as reports show it: a deadline
 * (`<=10000ms`) for things that must happen in time, a window (`>=12002ms`) for an alarm that must
 * stay out of ALARM throughout it.
 */
export function formatExpectationThreshold(
  result: Pick<ExpectationResult, 'kind' | 'deadlineMs'>,
): string | null {
  if (result.deadlineMs === null) return null;
  const ms = Math.round(result.deadlineMs);
  return result.kind === 'alarm-stays-ok' ? `>=${ms}ms` : `<=${ms}ms`;
}
