import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateExpectations } from '../../assertions/evaluate-expectation.ts';
import { waitForSteadyState } from '../../assertions/wait-for-steady-state.ts';
import { launchChromium } from '../../canaries/launch-chromium.ts';
import { loadCanaries } from '../../canaries/load-canaries.ts';
import { runCanaries } from '../../canaries/run-canaries.ts';
import { buildLocalPlan } from '../../chaos/build-local-plan.ts';
import {
  createControlApiController,
  createInProcessController,
  type FaultController,
} from '../../chaos/fault-controller.ts';
import { type FaultGateway, startFaultGateway } from '../../chaos/fault-gateway.ts';
import { guardChaos, isInteractive } from '../../chaos/guard.ts';
import { runFisExperiment } from '../../chaos/run-fis-experiment.ts';
import { runLocalExperiment } from '../../chaos/run-local-experiment.ts';
import { formatDuration, parseDuration, parseDurationStrict } from '../../core/duration.ts';
import { describeError, EnvironmentError, UsageError } from '../../core/errors.ts';
import type { RecordOf } from '../../core/events.ts';
import type {
  Check,
  DrillMilestone,
  DrillReport,
  ExpectationResult,
  ExperimentJournal,
} from '../../core/run-result.ts';
import { type Drill, type Experiment, expectationSchema, type Suite } from '../../core/schema.ts';
import { runLoad } from '../../load/run-load.ts';
import { buildDrillMarkdown, withPreviousDrill } from '../build-drill-markdown.ts';
import { resolveReadyPath } from '../local-target.ts';
import { resolveRunbook } from '../resolve-runbook.ts';
import type { RunContext, Stage, StageOutcome } from '../stage.ts';
import { type NotificationSink, startNotificationSink } from '../start-notification-sink.ts';
import { fisRunOptions } from './fis-run-options.ts';

export interface DrillStageOptions {
  /** Pause between two detection probes (canary runs, health probes). @defaultValue 200 */
  probeIntervalMs?: number;
  /** `--confirm-env` for non-interactive production drills. */
  confirmEnv?: string;
  interactive?: boolean;
}

/** The action items of the post-incident template, left for people to fill in. */
export const DRILL_ACTION_ITEMS = ['Immediate fix', 'Monitoring improvement', 'Process improvement'];

/** The drill, its experiment and (alert drills) its alarm, or a usage error naming what exists. */
export function resolveDrill(suite: Suite, name: string): { drill: Drill; experiment: Experiment } {
  const drill = suite.drills[name];
  if (!drill) {
    const known = Object.keys(suite.drills);
    throw new UsageError(`unknown drill "${name}"`, {
      hint: known.length ? `drills in the config: ${known.join(', ')}` : 'declare one under drills',
    });
  }
  const experiment = suite.experiments[drill.experiment];
  if (!experiment) {
    throw new UsageError(
      `drill ${name} names experiment "${drill.experiment}", which the config does not define`,
      {
        hint: `experiments: ${Object.keys(suite.experiments).join(', ') || '(none)'}`,
      },
    );
  }
  const alarm =
    drill.kind === 'alert'
      ? drill.alarm
      : drill.detectBy && 'alarm' in drill.detectBy
        ? drill.detectBy.alarm
        : undefined;
  if (alarm && !suite.alarms.some((a) => a.AlarmName === alarm)) {
    throw new UsageError(`drill ${name} names alarm "${alarm}", which the config does not define`, {
      hint: `alarms: ${suite.alarms.map((a) => a.AlarmName).join(', ') || '(none)'}`,
    });
  }
  return { drill, experiment };
}

/** Where the drill's faults go and where its load is sent (as the chaos stage does it). */
async function faultsFor(
  context: RunContext,
  name: string,
  experiment: Experiment,
): Promise<{ faults?: FaultController; loadTarget: string; gateway?: FaultGateway }> {
  if (context.env.provider === 'aws') return { loadTarget: context.targetUrl };
  if (context.target?.controlUrl) {
    return {
      faults: createControlApiController(context.target.controlUrl, context.targetUrl),
      loadTarget: context.targetUrl,
    };
  }
  if (!buildLocalPlan(name, experiment).some((s) => s.effect.kind === 'fault')) {
    return { loadTarget: context.targetUrl };
  }
  const gateway = await startFaultGateway({
    upstream: context.target?.directUrl ?? context.targetUrl,
    telemetry: context.telemetry,
    apiName: context.loaded.suite.service,
    clock: context.clock,
  });
  return { faults: createInProcessController(gateway), loadTarget: gateway.url, gateway };
}

/** Evaluates expectations against this run's telemetry, scoped to the drill's experiment. */
function evaluateDuringDrill(
  context: RunContext,
  experiment: string,
  list: Parameters<typeof evaluateExpectations>[0],
): ReturnType<typeof evaluateExpectations> {
  return evaluateExpectations(list, {
    timeline: context.timeline,
    telemetry: context.telemetry,
    clock: context.clock,
    signal: context.signal,
    experiment,
    alarms: context.loaded.suite.alarms,
    timeScale: context.env.provider === 'embedded' ? context.env.timeScale : 1,
  });
}

function runExperiment(
  context: RunContext,
  name: string,
  experiment: Experiment,
  faults: FaultController | undefined,
): Promise<ExperimentJournal> {
  if (context.env.provider === 'aws') {
    return runFisExperiment(name, experiment, {
      ...fisRunOptions(context),
      // A drill times the fault: read FIS's action states every second.
      pollMs: 1000,
    });
  }
  return runLocalExperiment(name, experiment, {
    ...(faults ? { faults } : {}),
    ...(context.target?.process ? { process: context.target.process } : {}),
    telemetry: context.telemetry,
    timeline: context.timeline,
    clock: context.clock,
    signal: context.signal,
    dryRun: context.options.dryRun,
  });
}

/** Load during the drill: started now, stopped by `stop()`; its ticks measure the impact. */
function startDrillLoad(context: RunContext, profileName: string | undefined, target: string) {
  const stop = new AbortController();
  const profile = profileName ? context.loaded.suite.load.profiles[profileName] : undefined;
  if (profileName && !profile) {
    throw new UsageError(`no load profile "${profileName}"`, {
      hint: `profiles: ${Object.keys(context.loaded.suite.load.profiles).join(', ') || '(none)'}`,
    });
  }
  const signal = AbortSignal.any([context.signal, stop.signal]);
  const running =
    profile && !context.options.dryRun
      ? runLoad(profile, { target, timeline: context.timeline, signal, name: profileName! }).then(
          () => undefined,
          (error: unknown) => {
            if (!signal.aborted)
              context.timeline.emit({
                type: 'progress',
                stage: 'drill',
                level: 'warn',
                message: `load ${profileName} failed: ${describeError(error)}`,
              });
          },
        )
      : Promise.resolve();
  return {
    warmupMs: profile ? (parseDuration(profile.warmup ?? 0) ?? 0) : 0,
    async stop() {
      stop.abort();
      await running;
    },
  };
}

/**
 * Waits (at most 1.5 s) for the load tick that closes the second containing `endT`, when a load is
 * running: an outage shorter than a second otherwise ends before any tick reports it.
 */
async function awaitClosingTick(context: RunContext, endT: number): Promise<void> {
  const { timeline } = context;
  const running = timeline.ofType('load.start').length > timeline.ofType('load.end').length;
  if (!running || timeline.find('load.tick', (r) => r.t >= endT, endT)) return;
  try {
    await timeline.waitFor('load.tick', (r) => r.t >= endT, {
      fromT: endT,
      signal: AbortSignal.any([context.signal, AbortSignal.timeout(1500)]),
    });
  } catch (error) {
    if (context.signal.aborted) throw error;
  }
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

function deadlineCheck(
  id: string,
  name: string,
  measured: number | null,
  limitMs: number,
  what: string,
  runbook?: string,
  /** The alarm expectation that measured it: its evidence goes on the check, its reason when it saw nothing. */
  timedBy?: ExpectationResult,
): Check {
  const passed = measured !== null && measured <= limitMs;
  return {
    id,
    kind: 'drill',
    name,
    status: passed ? 'passed' : 'failed',
    measured: measured === null ? null : Math.round(measured),
    threshold: `<=${limitMs}ms`,
    unit: 'ms',
    message:
      measured === null
        ? (timedBy?.message ?? `${what} did not happen within ${formatDuration(limitMs)}`)
        : `${what} after ${formatDuration(measured)}${passed ? '' : `, later than ${formatDuration(limitMs)}`}`,
    stage: 'drill',
    ...(runbook ? { runbook } : {}),
    ...(timedBy?.evidence ? { evidence: timedBy.evidence } : {}),
  };
}

function experimentCheck(drillName: string, journal: ExperimentJournal): Check {
  const ok = journal.status === 'completed';
  return {
    id: `drill:${drillName}:experiment`,
    kind: 'experiment',
    name: `experiment ${journal.experiment} injected the incident`,
    status: journal.dryRun ? 'skipped' : ok ? 'passed' : 'failed',
    measured: journal.status,
    threshold: 'completed',
    message: ok
      ? journal.activities.map((a) => a.output ?? a.name).join('; ')
      : (journal.error ?? journal.status),
    stage: 'drill',
  };
}

/** ms from the incident's start for a timeline record, or null. */
function since(t0: number, record: { t: number } | undefined): number | null {
  return record ? Math.round(record.t - t0) : null;
}

function milestone(
  name: DrillMilestone['name'],
  t0: number,
  record: { t: number; at: string } | undefined,
  source: string,
): DrillMilestone {
  return { name, atMs: since(t0, record), ...(record ? { at: record.at } : {}), source };
}

interface DrillRun {
  report: DrillReport;
  checks: Check[];
  expectations: ExpectationResult[];
  journal: ExperimentJournal;
}

/**
 * `opsproof drill <name>`: runs one drill of the suite and reports it post-incident style (drill.md in
 * the run directory, `result.drill`, and checks against the drill's deadlines).
 *
 * - **alert**: load runs, the experiment injects the fault, the alarm must enter ALARM within
 *   `alarmWithin` of the fault's start, its notification must reach the route of its severity
 *   (locally a webhook receiver fed by the embedded alarms' state changes; on aws the deployed
 *   alarm's actions, checked with SetAlarmState), and it must return to OK within `recoverWithin` of
 *   the fault's end.
 * - **dr**: load runs, the experiment kills the target (locally the started process, restarted by
 *   the process fault; `aws:ecs:stop-task` on aws), the outage must be detected (`detectBy` canary
 *   failing, alarm firing, or the health probe failing) within `detectWithin`, and the target must be
 *   healthy with the canary passing again within the `rto`.
 */
export function createDrillStage(drillName: string, options: DrillStageOptions = {}): Stage {
  return {
    name: 'drill',
    async run(context: RunContext): Promise<StageOutcome> {
      const { drill, experiment } = resolveDrill(context.loaded.suite, drillName);
      guardChaos({
        envName: context.env.name,
        env: context.env,
        experimentName: drill.experiment,
        experiment,
        allowProduction: context.options.allowProduction,
        confirmEnv: options.confirmEnv,
        interactive: options.interactive ?? isInteractive(),
      });
      const { faults, loadTarget, gateway } = await faultsFor(context, drill.experiment, experiment);
      let run: DrillRun;
      try {
        run =
          drill.kind === 'alert'
            ? await runAlertDrill(context, drillName, drill, experiment, faults, loadTarget)
            : await runDrDrill(context, drillName, drill, experiment, faults, loadTarget, options);
      } finally {
        await gateway?.close();
      }
      // Drill over drill: the previous drill of this name (from the history, via the CLI).
      const previous = context.options.previousDrill;
      if (previous) run = { ...run, report: withPreviousDrill(run.report, previous, DRILL_ACTION_ITEMS) };
      const markdown = buildDrillMarkdown({
        report: run.report,
        checks: run.checks,
        service: context.loaded.suite.service,
        env: context.env.name,
        runId: context.runId,
      });
      writeFileSync(join(context.outDir, 'drill.md'), context.options.redact?.(markdown) ?? markdown);
      return {
        drill: run.report,
        checks: run.checks,
        expectations: run.expectations,
        experiments: [run.journal],
        artifacts: [{ name: 'drill.md', path: 'drill.md', kind: 'report' }],
      };
    },
  };
}

function alarmExpectations(alarm: string, alarmWithin: string, recoverWithin: string) {
  return {
    fires: expectationSchema.parse({ kind: 'alarm-fires', alarm, within: alarmWithin, after: 'fault.start' }),
    recovers: expectationSchema.parse({
      kind: 'alarm-recovers',
      alarm,
      within: recoverWithin,
      after: 'fault.end',
    }),
  };
}

async function runAlertDrill(
  context: RunContext,
  drillName: string,
  drill: Extract<Drill, { kind: 'alert' }>,
  experiment: Experiment,
  faults: FaultController | undefined,
  loadTarget: string,
): Promise<DrillRun> {
  const { timeline, clock, telemetry } = context;
  const suite = context.loaded.suite;
  const alarm = suite.alarms.find((a) => a.AlarmName === drill.alarm)!;
  const runbook = resolveRunbook(alarm.runbook, context.loaded.dir);
  const alarmWithinMs = parseDurationStrict(drill.alarmWithin);
  const recoverWithinMs = parseDurationStrict(drill.recoverWithin);
  const evaluate = (list: Parameters<typeof evaluateExpectations>[0]) =>
    evaluateDuringDrill(context, drill.experiment, list);

  // The notification path: locally the embedded alarms' state changes go to a webhook receiver per
  // severity; on aws, SetAlarmState proves the deployed alarm's actions route before the real fault.
  const sink: NotificationSink | undefined =
    telemetry.provider === 'embedded'
      ? await startNotificationSink({ telemetry, alarms: suite.alarms, timeline, clock })
      : undefined;
  // The routing check leaves its queue subscribed to the alarm's topic: the real fault's notification
  // is read from it too.
  const routing =
    telemetry.provider === 'aws' && !context.options.dryRun
      ? await import('../check-alarm-routing.ts').then((m) =>
          m.checkAlarmRouting(context, alarm, { keepSubscribed: true }),
        )
      : undefined;

  let load: ReturnType<typeof startDrillLoad> | undefined;
  try {
    load = startDrillLoad(context, drill.load ?? experiment.load, loadTarget);
    if (load.warmupMs > 0) await clock.sleep(load.warmupMs, context.signal);
    // Steady state first: the alarm must be out of ALARM before the fault, or the drill measures nothing.
    if (!context.options.dryRun) {
      const steady = await waitForSteadyState([drill.alarm], {
        telemetry,
        clock,
        signal: context.signal,
        timeoutMs: alarmWithinMs,
      });
      if (!steady.met) {
        throw new EnvironmentError(
          'process',
          `drill ${drillName}: ${steady.message}; the drill needs a steady state to start from`,
        );
      }
    }

    const { fires, recovers } = alarmExpectations(drill.alarm, drill.alarmWithin, drill.recoverWithin);
    const live = !context.options.dryRun;
    const firing = live ? evaluate([fires]) : Promise.resolve([]);
    // Awaited only after the experiment: handled now, so an interrupt's rejection cannot end the
    // process (unhandled) before the experiment has cleared its faults.
    firing.catch(() => {});
    const journal = await runExperiment(context, drill.experiment, experiment, faults);
    const recovering = live && journal.status === 'completed' ? evaluate([recovers]) : Promise.resolve([]);
    const [fired, recovered] = await Promise.all([firing, recovering]);
    const expectations = [...fired, ...recovered].map((e) => ({
      ...e,
      ...(runbook ? { runbook } : {}),
    }));

    const faultStart = timeline.find('fault.start', (r) => r.experiment === drill.experiment);
    const faultEnd = faultStart
      ? timeline.find('fault.end', (r) => r.faultId === faultStart.faultId)
      : undefined;
    const t0 = faultStart?.t ?? 0;
    const alarmRecord = faultStart
      ? timeline.find('alarm.state', (r) => r.alarm === drill.alarm && r.to === 'ALARM', t0)
      : undefined;
    const okRecord =
      faultEnd && alarmRecord
        ? timeline.find('alarm.state', (r) => r.alarm === drill.alarm && r.to === 'OK', alarmRecord.t)
        : undefined;
    const timeToAlarmMs = fired[0]?.measuredMs ?? null;
    const recoverAfterFaultEndMs = recovered[0]?.measuredMs ?? null;
    const timeToRecoverMs =
      recoverAfterFaultEndMs !== null && faultEnd
        ? Math.round(faultEnd.t - t0 + recoverAfterFaultEndMs)
        : null;
    // Without pushed state changes (aws polling the state) the transitions are the measured times.
    const pointAt = (t: number) => ({
      t,
      at: new Date(Date.parse(faultStart!.at) + (t - t0)).toISOString(),
    });
    const alarmPoint =
      alarmRecord ?? (faultStart && timeToAlarmMs !== null ? pointAt(t0 + timeToAlarmMs) : undefined);
    const okPoint =
      okRecord ??
      (faultEnd && recoverAfterFaultEndMs !== null
        ? pointAt(faultEnd.t + recoverAfterFaultEndMs)
        : undefined);

    // Notification: the ALARM notification at the alarm's severity route (and OK when it cleared).
    const checks: Check[] = [experimentCheck(drillName, journal)];
    checks.push(
      deadlineCheck(
        `drill:${drillName}:alarm`,
        `${drill.alarm} enters ALARM within ${drill.alarmWithin} of the fault`,
        timeToAlarmMs,
        alarmWithinMs,
        `${drill.alarm} entered ALARM`,
        runbook,
        fired[0],
      ),
    );
    let timeToNotifyMs: number | null = null;
    let response: DrillMilestone;
    const notifications: NonNullable<DrillReport['notifications']> = [];
    if (sink && faultStart) {
      const startWall = Date.parse(faultStart.at);
      const delivered = await sink.waitFor(
        (d) =>
          d.notification.AlarmName === drill.alarm &&
          d.notification.NewStateValue === 'ALARM' &&
          d.receivedAt >= startWall,
        alarmRecord ? 5000 : 0,
        context.signal,
      );
      await sink.waitFor(
        (d) =>
          d.notification.AlarmName === drill.alarm &&
          d.notification.NewStateValue === 'OK' &&
          d.receivedAt >= Date.parse(okRecord?.at ?? faultStart.at),
        okRecord ? 5000 : 0,
        context.signal,
      );
      for (const d of sink.deliveries) {
        if (d.receivedAt < startWall) continue;
        notifications.push({
          alarm: d.notification.AlarmName,
          severity: d.notification.Severity,
          state: d.notification.NewStateValue,
          route: sink.routeUrl(d.route),
          atMs: d.receivedAt - startWall,
          at: new Date(d.receivedAt).toISOString(),
        });
      }
      timeToNotifyMs = delivered ? delivered.receivedAt - startWall : null;
      checks.push({
        id: `drill:${drillName}:notification`,
        kind: 'drill',
        name: `${drill.alarm} notification reaches the ${alarm.severity} route`,
        status: delivered && delivered.route === alarm.severity ? 'passed' : 'failed',
        measured: timeToNotifyMs,
        threshold: `delivered to ${alarm.severity}`,
        unit: 'ms',
        message: delivered
          ? `ALARM notification delivered to ${sink.routeUrl(delivered.route)} ${formatDuration(timeToNotifyMs!)} after the fault`
          : `no ALARM notification for ${drill.alarm} was delivered${sink.failures.length ? `: ${sink.failures.join('; ')}` : ''}`,
        stage: 'drill',
        ...(runbook ? { runbook } : {}),
      });
      response = {
        name: 'response',
        atMs: timeToNotifyMs,
        ...(delivered ? { at: new Date(delivered.receivedAt).toISOString() } : {}),
        source: `${alarm.severity} notification delivered (on-call paged)`,
      };
    } else if (routing) {
      // aws: the routing check proved the topic with SetAlarmState; the real fault's ALARM message
      // must now reach the same topic's subscriber.
      checks.push(routing.check);
      const subscriber = routing.subscriber;
      const startWall = faultStart ? Date.parse(faultStart.at) : Number.POSITIVE_INFINITY;
      const deployedName = `${context.env.aws?.alarmPrefix ?? ''}${drill.alarm}`;
      const fromFault =
        (state: string) => (m: { AlarmName: string; NewStateValue: string; receivedAt: number }) =>
          m.AlarmName === deployedName && m.NewStateValue === state && m.receivedAt >= startWall;
      if (subscriber && faultStart && timeToAlarmMs !== null) {
        const until = clock.now() + 30_000;
        while (
          !(
            subscriber.messages.some(fromFault('ALARM')) &&
            (okPoint === undefined || subscriber.messages.some(fromFault('OK')))
          ) &&
          clock.now() < until &&
          !context.signal.aborted
        ) {
          await subscriber.poll(1).catch(() => []);
        }
      }
      for (const m of subscriber?.messages ?? []) {
        if (m.AlarmName !== deployedName || m.receivedAt < startWall) continue;
        notifications.push({
          alarm: drill.alarm,
          severity: alarm.severity,
          state: m.NewStateValue,
          route: m.TopicArn ?? routing.topicArn ?? '',
          atMs: m.receivedAt - startWall,
          at: new Date(m.receivedAt).toISOString(),
        });
      }
      const delivered = subscriber?.messages.find(fromFault('ALARM'));
      timeToNotifyMs = delivered ? delivered.receivedAt - startWall : null;
      if (subscriber) {
        checks.push({
          id: `drill:${drillName}:notification`,
          kind: 'drill',
          name: `${drill.alarm} notification of the fault reaches the ${alarm.severity} topic`,
          status: delivered ? 'passed' : 'failed',
          measured: timeToNotifyMs,
          threshold: `ALARM message on ${routing.topicArn}`,
          unit: 'ms',
          message: delivered
            ? `ALARM message on ${routing.topicArn} ${formatDuration(timeToNotifyMs!)} after the fault`
            : `no ALARM message of ${deployedName} reached a subscriber of ${routing.topicArn} after the fault`,
          stage: 'drill',
          ...(runbook ? { runbook } : {}),
        });
      }
      response = delivered
        ? {
            name: 'response',
            atMs: timeToNotifyMs,
            at: new Date(delivered.receivedAt).toISOString(),
            source: `${alarm.severity} topic notified (ALARM message read by the drill's subscriber)`,
          }
        : {
            name: 'response',
            atMs: null,
            source: `${alarm.severity} topic not notified of the fault (routing check: ${routing.check.status})`,
          };
    } else {
      response = { name: 'response', atMs: null, source: 'no notification path checked' };
    }
    checks.push(
      deadlineCheck(
        `drill:${drillName}:recover`,
        `${drill.alarm} returns to OK within ${drill.recoverWithin} of the fault's end`,
        recoverAfterFaultEndMs,
        recoverWithinMs,
        `${drill.alarm} returned to OK`,
        runbook,
        recovered[0],
      ),
    );

    const endT = okPoint?.t ?? timeline.elapsed();
    await awaitClosingTick(context, endT);
    const report: DrillReport = {
      name: drillName,
      kind: 'alert',
      description: drill.description,
      experiment: drill.experiment,
      alarm: drill.alarm,
      rootCause: `injected by drill ${drillName}: ${drill.experiment}${experiment.description ? ` (${experiment.description})` : ''}`,
      ...(faultStart ? { incidentStartedAt: faultStart.at } : {}),
      timeToDetectMs: timeToAlarmMs,
      timeToAlarmMs,
      timeToNotifyMs,
      timeToMitigateMs: since(t0, faultEnd),
      timeToRecoverMs,
      objectiveMs: recoverWithinMs,
      impact: measureImpact(timeline.ofType('load.tick'), t0, endT),
      milestones: [
        milestone('detection', t0, alarmPoint, `alarm ${drill.alarm} entered ALARM`),
        response,
        milestone('mitigation', t0, faultEnd, `fault of ${drill.experiment} removed`),
        milestone('resolution', t0, okPoint, `alarm ${drill.alarm} returned to OK`),
      ],
      notifications,
      runbooks: alarmPoint && runbook ? [{ alarm: drill.alarm, runbook }] : [],
      actionItems: [...DRILL_ACTION_ITEMS],
    };
    return { report, checks, expectations, journal };
  } finally {
    await load?.stop();
    await sink?.close();
    await routing?.subscriber?.close();
  }
}

interface ProbeRecord {
  startT: number;
  endT: number;
  ok: boolean;
  detail: string;
}

/** Runs `probe` back to back (pausing `intervalMs`) until stopped; records every result. */
function startProbeLoop(
  context: RunContext,
  intervalMs: number,
  probe: () => Promise<{ ok: boolean; detail: string }>,
) {
  const records: ProbeRecord[] = [];
  const stop = new AbortController();
  const signal = AbortSignal.any([context.signal, stop.signal]);
  const loop = (async () => {
    while (!signal.aborted) {
      const startT = context.timeline.elapsed();
      const result = await probe().catch((error: unknown) => ({ ok: false, detail: describeError(error) }));
      records.push({ startT, endT: context.timeline.elapsed(), ...result });
      await context.clock.sleep(intervalMs, signal).catch(() => {});
    }
  })();
  return {
    records,
    async stop() {
      stop.abort();
      await loop;
    },
  };
}

async function probeHealth(url: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return { ok: res.status >= 200 && res.status < 300, detail: `${res.status}` };
  } catch (error) {
    return { ok: false, detail: describeError(error) };
  }
}

async function runDrDrill(
  context: RunContext,
  drillName: string,
  drill: Extract<Drill, { kind: 'dr' }>,
  experiment: Experiment,
  faults: FaultController | undefined,
  loadTarget: string,
  options: DrillStageOptions,
): Promise<DrillRun> {
  const { timeline, clock, telemetry } = context;
  const suite = context.loaded.suite;
  const rtoMs = parseDurationStrict(drill.rto);
  const detectWithinMs = parseDurationStrict(drill.detectWithin);
  const interval = options.probeIntervalMs ?? 200;
  const live = !context.options.dryRun;
  if (context.env.provider === 'embedded' && !context.target?.process) {
    throw new EnvironmentError(
      'process',
      `drill ${drillName} kills the target, but opsproof did not start it in environment ${context.env.name}`,
      { hint: 'set demo: true or start: { command: [...] } on the environment' },
    );
  }
  const readyPath = resolveReadyPath(context.env);
  const healthUrl = `${context.targetUrl.replace(/\/$/, '')}${readyPath}`;

  // Detection: the drill's canary run back to back, or its alarm, or the health probe.
  const canaryName = drill.detectBy && 'canary' in drill.detectBy ? drill.detectBy.canary : undefined;
  const alarmName = drill.detectBy && 'alarm' in drill.detectBy ? drill.detectBy.alarm : undefined;
  const alarmDef = alarmName ? suite.alarms.find((a) => a.AlarmName === alarmName) : undefined;
  const runbook = resolveRunbook(alarmDef?.runbook, context.loaded.dir);
  let canary: Awaited<ReturnType<typeof loadCanaries>> | undefined;
  if (canaryName) {
    canary = await loadCanaries(context.loaded, { names: [canaryName] });
    if (canary.failures.length > 0) {
      throw new UsageError(
        `drill ${drillName}: canary ${canaryName} did not load: ${canary.failures[0]!.error}`,
      );
    }
  }
  const browser = canary?.canaries.some((c) => c.definition.options.type === 'browser')
    ? await launchChromium()
    : undefined;

  const load = startDrillLoad(context, drill.load ?? experiment.load, loadTarget);
  const health = live ? startProbeLoop(context, interval, () => probeHealth(healthUrl)) : undefined;
  const canaryLoop =
    live && canary
      ? startProbeLoop(context, interval, async () => {
          const { canaries } = await runCanaries({
            ...canary!,
            baseUrl: context.targetUrl,
            env: context.env.name,
            config: { ...suite.canaries, retries: 0 },
            timeline: context.timeline,
            telemetry,
            outDir: context.outDir,
            stage: 'drill',
            signal: context.signal,
            ...(browser ? { browser: browser.browser } : {}),
            ...(context.options.redact ? { redact: context.options.redact } : {}),
          });
          const result = canaries[0]!;
          return { ok: result.status === 'passed', detail: result.error ?? 'passed' };
        })
      : undefined;
  try {
    if (load.warmupMs > 0) await clock.sleep(load.warmupMs, context.signal);
    // Steady state: the detector passes before the outage, or its failures would say nothing.
    if (live) {
      const steadyDeadline = clock.now() + 10_000;
      const detector = canaryLoop ?? health!;
      while (clock.now() < steadyDeadline && !detector.records.some((r) => r.ok)) {
        await clock.sleep(100, context.signal);
      }
      if (!detector.records.some((r) => r.ok)) {
        throw new EnvironmentError(
          'target-unreachable',
          `drill ${drillName}: ${canaryName ? `canary ${canaryName}` : healthUrl} does not pass before the outage`,
        );
      }
    }
    const detecting =
      live && alarmName
        ? evaluateDuringDrill(context, drill.experiment, [
            alarmExpectations(alarmName, drill.detectWithin, drill.rto).fires,
          ])
        : Promise.resolve([]);
    detecting.catch(() => {}); // awaited after the experiment; see `firing` above
    const journal = await runExperiment(context, drill.experiment, experiment, faults);
    const faultStart = timeline.find('fault.start', (r) => r.experiment === drill.experiment);
    const t0 = faultStart?.t ?? timeline.elapsed();
    const faultEnd = faultStart
      ? timeline.find('fault.end', (r) => r.faultId === faultStart.faultId)
      : undefined;

    // Wait for recovery: healthy again and the detector passing, after the outage was seen.
    const detector = canaryLoop ?? health;
    const firstFailure = () => detector?.records.find((r) => !r.ok && r.endT >= t0);
    const recovery = () => {
      const failed = firstFailure();
      const after = Math.max(failed?.endT ?? t0, faultEnd?.t ?? t0);
      const lastFailure = detector?.records.filter((r) => !r.ok && r.endT >= t0).at(-1);
      const from = Math.max(after, lastFailure?.endT ?? t0);
      const pass = detector?.records.find((r) => r.ok && r.startT >= from);
      const healthy = health?.records.find((r) => r.ok && r.startT >= (faultEnd?.t ?? t0));
      return pass && healthy ? { t: Math.max(pass.endT, healthy.endT), pass, healthy } : undefined;
    };
    const waitUntil = t0 + Math.max(rtoMs, detectWithinMs) * 2;
    while (live && !recovery() && timeline.elapsed() < waitUntil && !context.signal.aborted) {
      await clock.sleep(100, context.signal);
    }
    const detected = await detecting;
    const recovered = recovery();
    await Promise.all([health?.stop(), canaryLoop?.stop()]);

    const failed = firstFailure();
    const alarmResult = detected[0];
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
      detectSource = `health probe ${healthUrl} failed${failed ? ` (${failed.detail})` : ''}`;
    }
    const timeToDetectMs = detectT === undefined ? null : Math.round(detectT - t0);
    const timeToRecoverMs = recovered ? Math.round(recovered.t - t0) : null;
    const exit = timeline.find('target.exit', () => true, t0);
    const restarted = timeline.find('target.start', () => true, t0);

    const checks: Check[] = [
      experimentCheck(drillName, journal),
      deadlineCheck(
        `drill:${drillName}:detect`,
        `outage detected within ${drill.detectWithin}`,
        timeToDetectMs,
        detectWithinMs,
        `outage detected (${detectSource})`,
        runbook,
        alarmName ? alarmResult : undefined,
      ),
      deadlineCheck(
        `drill:${drillName}:rto`,
        `recovered within the RTO (${drill.rto})`,
        timeToRecoverMs,
        rtoMs,
        `target healthy and ${canaryName ? `canary ${canaryName}` : 'health probe'} passing again`,
      ),
    ];
    const endT = recovered?.t ?? timeline.elapsed();
    await awaitClosingTick(context, endT);
    const pointAt = (t: number | undefined) =>
      t === undefined
        ? undefined
        : {
            t,
            at: new Date(Date.parse(faultStart?.at ?? new Date().toISOString()) + (t - t0)).toISOString(),
          };
    const report: DrillReport = {
      name: drillName,
      kind: 'dr',
      description: drill.description,
      experiment: drill.experiment,
      ...(alarmName ? { alarm: alarmName } : {}),
      rootCause: `injected by drill ${drillName}: ${drill.experiment}${experiment.description ? ` (${experiment.description})` : ''}`,
      ...(faultStart ? { incidentStartedAt: faultStart.at } : {}),
      timeToDetectMs,
      timeToAlarmMs: alarmName ? timeToDetectMs : null,
      timeToMitigateMs: since(t0, faultEnd),
      timeToRecoverMs,
      objectiveMs: rtoMs,
      impact: measureImpact(timeline.ofType('load.tick'), t0, endT),
      milestones: [
        milestone('detection', t0, pointAt(detectT), detectSource),
        milestone(
          'response',
          t0,
          exit,
          context.env.provider === 'embedded'
            ? 'process supervisor saw the exit and started a new process'
            : 'the orchestrator replaces the stopped task',
        ),
        milestone(
          'mitigation',
          t0,
          restarted ?? faultEnd,
          `target process ready again (${readyPath} answered)`,
        ),
        milestone(
          'resolution',
          t0,
          pointAt(recovered?.t),
          `target healthy and ${canaryName ? `canary ${canaryName}` : 'health probe'} passing`,
        ),
      ],
      runbooks:
        alarmName && runbook && alarmResult?.status === 'passed' ? [{ alarm: alarmName, runbook }] : [],
      actionItems: [...DRILL_ACTION_ITEMS],
    };
    const expectations = detected.map((e) => ({ ...e, ...(runbook ? { runbook } : {}) }));
    return { report, checks, expectations, journal };
  } finally {
    await Promise.all([health?.stop(), canaryLoop?.stop()]);
    await load.stop();
    await browser?.close();
  }
}
