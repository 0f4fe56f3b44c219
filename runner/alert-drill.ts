import { formatDuration } from '../core/duration.ts';
import type { Check, DrillNotification } from '../core/run-result.ts';
import type { Experiment, SuiteAlarmDefinition } from '../core/schema.ts';
import { awaitClosingTick } from './await-closing-tick.ts';
import {
  type AlertDrill,
  type AlertNotifications,
  type AlertPoints,
  buildAlertDrillReport,
  findAlertPoints,
} from './build-drill-report.ts';
import type { RoutingCheck } from './check-alarm-routing.ts';
import { buildAlarmExpectations, type DrillRun, drillRunFrom } from './drill-run.ts';
import { resolveRunbook } from './resolve-runbook.ts';
import { type ExperimentGateways, runExperimentUnderLoad } from './run-experiment-under-load.ts';
import type { RunContext } from './stage.ts';
import { type NotificationSink, startNotificationSink } from './start-notification-sink.ts';

/**
 * An alert drill: its notification path readied (locally a webhook receiver per severity; on aws the
 * routing check with SetAlarmState, its queue left subscribed), then the experiment under load through
 * the one experiment path with the alarm's expectations (into ALARM within `alarmWithin` of the fault,
 * back to OK within `recoverWithin` of its end); the notification of the fault must reach the route
 * of the alarm's severity. A steady state not met (the alarm in ALARM before the fault) is exit 3.
 */
export async function runAlertDrill(
  context: RunContext,
  drillName: string,
  drill: AlertDrill,
  experiment: Experiment,
  gateways: ExperimentGateways,
): Promise<DrillRun> {
  const { timeline, clock, telemetry } = context;
  const suite = context.loaded.suite;
  const alarm = suite.alarms.find((a) => a.AlarmName === drill.alarm)!;
  const runbook = resolveRunbook(alarm.runbook, context);

  // The notification path: locally the embedded alarms' state changes go to a webhook receiver per
  // severity; on aws, SetAlarmState proves the deployed alarm's actions route before the real fault.
  const sink: NotificationSink | undefined =
    telemetry.provider === 'embedded'
      ? await startNotificationSink({ telemetry, alarms: suite.alarms, timeline, clock })
      : undefined;
  // The routing check leaves its queue subscribed to the alarm's topic: the real fault's notification
  // is read from it too.
  let routing: RoutingCheck | undefined;
  try {
    routing =
      telemetry.provider === 'aws' && !context.options.dryRun
        ? await import('./check-alarm-routing.ts').then((m) =>
            m.checkAlarmRouting(context, alarm, { keepSubscribed: true }),
          )
        : undefined;
    const { fires, recovers } = buildAlarmExpectations(drill.alarm, drill.alarmWithin, drill.recoverWithin);
    const run = await runExperimentUnderLoad(
      context,
      {
        name: drill.experiment,
        experiment,
        stage: 'drill',
        ...(drill.load ? { load: drill.load } : {}),
        expect: [fires, recovers],
        // A drill times the fault: read FIS's action states every second.
        fisPollMs: 1000,
        whileLoaded: async ({ journal, expectations }) => {
          const [fired, recovered] = expectations;
          const points = findAlertPoints(timeline.records(), {
            experiment: drill.experiment,
            alarm: drill.alarm,
            ...(fired ? { fired } : {}),
            ...(recovered ? { recovered } : {}),
          });
          const notified = sink
            ? await collectSinkNotifications(context, drillName, sink, alarm, points)
            : routing
              ? await collectTopicNotifications(context, drillName, routing, alarm, points)
              : noNotificationPath();
          const endT = points.okPoint?.t ?? timeline.elapsed();
          await awaitClosingTick(context, endT);
          return buildAlertDrillReport({
            drillName,
            drill,
            journal,
            experiment,
            points,
            notified,
            fired,
            recovered,
            runbook,
            records: timeline.records(),
            endT,
          });
        },
      },
      gateways,
    );
    return drillRunFrom(drillName, run);
  } finally {
    await sink?.close();
    await routing?.subscriber?.close();
  }
}

function noNotificationPath(): AlertNotifications {
  return {
    checks: [],
    notifications: [],
    timeToNotifyMs: null,
    response: { name: 'response', atMs: null, source: 'no notification path checked' },
  };
}

/** Local: the ALARM (and OK) messages the webhook receiver got on the alarm's severity route. */
async function collectSinkNotifications(
  context: RunContext,
  drillName: string,
  sink: NotificationSink,
  alarm: SuiteAlarmDefinition,
  points: AlertPoints,
): Promise<AlertNotifications> {
  const faultStart = points.incident.faultStart;
  if (!faultStart) return noNotificationPath();
  const name = alarm.AlarmName;
  const startWall = Date.parse(faultStart.at);
  const delivered = await sink.waitFor(
    (d) =>
      d.notification.AlarmName === name &&
      d.notification.NewStateValue === 'ALARM' &&
      d.receivedAt >= startWall,
    points.alarmRecord ? 5000 : 0,
    context.signal,
  );
  await sink.waitFor(
    (d) =>
      d.notification.AlarmName === name &&
      d.notification.NewStateValue === 'OK' &&
      d.receivedAt >= Date.parse(points.okRecord?.at ?? faultStart.at),
    points.okRecord ? 5000 : 0,
    context.signal,
  );
  const notifications: DrillNotification[] = sink.deliveries
    .filter((d) => d.receivedAt >= startWall)
    .map((d) => ({
      alarm: d.notification.AlarmName,
      severity: d.notification.Severity,
      state: d.notification.NewStateValue,
      route: sink.routeUrl(d.route),
      atMs: d.receivedAt - startWall,
      at: new Date(d.receivedAt).toISOString(),
    }));
  const timeToNotifyMs = delivered ? delivered.receivedAt - startWall : null;
  const runbook = resolveRunbook(alarm.runbook, context);
  return {
    checks: [
      {
        id: `drill:${drillName}:notification`,
        kind: 'drill',
        name: `${name} notification reaches the ${alarm.severity} route`,
        status: delivered && delivered.route === alarm.severity ? 'passed' : 'failed',
        measured: timeToNotifyMs,
        threshold: `delivered to ${alarm.severity}`,
        unit: 'ms',
        message: delivered
          ? `ALARM notification delivered to ${sink.routeUrl(delivered.route)} ${formatDuration(timeToNotifyMs!)} after the fault`
          : `no ALARM notification for ${name} was delivered${sink.failures.length ? `: ${sink.failures.join('; ')}` : ''}`,
        stage: 'drill',
        ...(runbook ? { runbook } : {}),
      },
    ],
    notifications,
    timeToNotifyMs,
    response: {
      name: 'response',
      atMs: timeToNotifyMs,
      ...(delivered ? { at: new Date(delivered.receivedAt).toISOString() } : {}),
      source: `${alarm.severity} notification delivered (on-call paged)`,
    },
  };
}

/**
 * aws: the routing check proved the topic with SetAlarmState; the real fault's ALARM message (and OK,
 * once the alarm recovered) must now reach the same topic's subscriber, read for at most 30 s.
 */
async function collectTopicNotifications(
  context: RunContext,
  drillName: string,
  routing: RoutingCheck,
  alarm: SuiteAlarmDefinition,
  points: AlertPoints,
): Promise<AlertNotifications> {
  const { clock } = context;
  const name = alarm.AlarmName;
  const runbook = resolveRunbook(alarm.runbook, context);
  const subscriber = routing.subscriber;
  const faultStart = points.incident.faultStart;
  const startWall = faultStart ? Date.parse(faultStart.at) : Number.POSITIVE_INFINITY;
  const deployedName = `${context.env.aws?.alarmPrefix ?? ''}${name}`;
  const fromFault =
    (state: string) => (m: { AlarmName: string; NewStateValue: string; receivedAt: number }) =>
      m.AlarmName === deployedName && m.NewStateValue === state && m.receivedAt >= startWall;
  if (subscriber && faultStart && points.timeToAlarmMs !== null) {
    const until = clock.now() + 30_000;
    while (
      !(
        subscriber.messages.some(fromFault('ALARM')) &&
        (points.okPoint === undefined || subscriber.messages.some(fromFault('OK')))
      ) &&
      clock.now() < until &&
      !context.signal.aborted
    ) {
      await subscriber.poll(1).catch(() => []);
    }
  }
  const notifications: DrillNotification[] = (subscriber?.messages ?? [])
    .filter((m) => m.AlarmName === deployedName && m.receivedAt >= startWall)
    .map((m) => ({
      alarm: name,
      severity: alarm.severity,
      state: m.NewStateValue,
      route: m.TopicArn ?? routing.topicArn ?? '',
      atMs: m.receivedAt - startWall,
      at: new Date(m.receivedAt).toISOString(),
    }));
  const delivered = subscriber?.messages.find(fromFault('ALARM'));
  const timeToNotifyMs = delivered ? delivered.receivedAt - startWall : null;
  const checks: Check[] = [routing.check];
  if (subscriber) {
    checks.push({
      id: `drill:${drillName}:notification`,
      kind: 'drill',
      name: `${name} notification of the fault reaches the ${alarm.severity} topic`,
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
  return {
    checks,
    notifications,
    timeToNotifyMs,
    response: delivered
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
        },
  };
}
