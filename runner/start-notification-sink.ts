import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { readBody } from '../core/read-body.ts';
import type { AlarmDefinition, SuiteAlarmDefinition } from '../core/schema.ts';
import type { Timeline } from '../core/timeline.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { AlarmStateChange } from '../telemetry/types.ts';

export type Severity = AlarmDefinition['severity'];

/**
 * The JSON CloudWatch publishes to an alarm action's SNS topic (the `Message` of the SNS
 * notification), with opsproof's severity. Pure.
 */
export interface AlarmNotification {
  AlarmName: string;
  AlarmDescription: string | null;
  NewStateValue: string;
  OldStateValue: string;
  NewStateReason: string;
  StateChangeTime: string;
  Severity: Severity;
  Runbook: string | null;
}

function buildAlarmNotification(
  change: AlarmStateChange,
  alarm: Pick<AlarmDefinition, 'AlarmDescription' | 'severity' | 'runbook'> | undefined,
): AlarmNotification {
  return {
    AlarmName: change.alarmName,
    AlarmDescription: alarm?.AlarmDescription ?? null,
    NewStateValue: change.newState,
    OldStateValue: change.oldState,
    NewStateReason: change.reason,
    StateChangeTime: change.timestamp.toISOString(),
    Severity: alarm?.severity ?? 'warning',
    Runbook: alarm?.runbook ?? null,
  };
}

/** One notification as the receiving end got it. */
export interface Delivery {
  route: Severity;
  notification: AlarmNotification;
  /** Wall clock epoch ms when the receiver got it. */
  receivedAt: number;
}

export interface NotificationSink {
  /** URL of the receiver's route for a severity (`POST <url>` with an AlarmNotification). */
  routeUrl(severity: Severity): string;
  readonly deliveries: readonly Delivery[];
  /** Failures to deliver (receiver down, non-2xx), as text. */
  readonly failures: readonly string[];
  /** The first delivery matching, waiting for it until `timeoutMs` (resolves `undefined` then). */
  waitFor(
    predicate: (d: Delivery) => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Delivery | undefined>;
  close(): Promise<void>;
}

export interface NotificationSinkOptions {
  telemetry: Telemetry;
  /** Every suite alarm: a composite's state changes notify as a metric alarm's do (CloudWatch sends both). */
  alarms: readonly SuiteAlarmDefinition[];
  timeline?: Timeline;
  clock?: Clock;
}

/**
 * The local stand-in for an alarm's notification path (alarm action → SNS topic per severity →
 * subscriber): a webhook receiver on loopback with one route per severity, and a dispatcher that
 * posts every state change of the embedded alarms (into ALARM and back to OK, as `AlarmActions` and
 * `OKActions`) to the route of the alarm's severity. What the receiver got is what a drill reports as
 * delivered; nothing is counted as notified unless it crossed the HTTP hop.
 */
export async function startNotificationSink(options: NotificationSinkOptions): Promise<NotificationSink> {
  const clock = options.clock ?? systemClock;
  const deliveries: Delivery[] = [];
  const failures: string[] = [];
  const waiters = new Set<() => void>();

  const server = createServer((req, res) => {
    const route = /^\/notify\/(critical|warning|info)$/.exec(req.url ?? '')?.[1] as Severity | undefined;
    if (req.method !== 'POST' || !route) {
      res.writeHead(404).end();
      return;
    }
    readBody(req, 64 * 1024)
      .then((body) => {
        const notification = JSON.parse(body.toString('utf8')) as AlarmNotification;
        deliveries.push({ route, notification, receivedAt: clock.wall().getTime() });
        res.writeHead(204).end();
        for (const wake of waiters) wake();
      })
      .catch((error: unknown) => {
        res.writeHead(400).end(String(error));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const routeUrl = (severity: Severity) => `${base}/notify/${severity}`;

  const pending = new Set<Promise<void>>();
  const dispatch = async (change: AlarmStateChange) => {
    // CloudWatch runs actions for transitions into ALARM (AlarmActions) and into OK (OKActions).
    if (change.newState !== 'ALARM' && change.newState !== 'OK') return;
    if (change.oldState === change.newState) return;
    const alarm = options.alarms.find((a) => a.AlarmName === change.alarmName);
    const notification = buildAlarmNotification(change, alarm);
    try {
      const res = await fetch(routeUrl(notification.Severity), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(notification),
        signal: AbortSignal.timeout(5000),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`receiver answered ${res.status}`);
      options.timeline?.emit({
        type: 'progress',
        stage: 'drill',
        message: `notification ${change.alarmName} ${change.newState} delivered to the ${notification.Severity} route`,
      });
    } catch (error) {
      failures.push(`${change.alarmName} ${change.newState}: ${(error as Error).message}`);
    }
  };
  const unsubscribe =
    options.telemetry.onAlarmStateChange?.((change) => {
      const sending = dispatch(change).finally(() => pending.delete(sending));
      pending.add(sending);
    }) ?? (() => {});

  return {
    routeUrl,
    deliveries,
    failures,
    async waitFor(predicate, timeoutMs, signal) {
      const deadline = clock.now() + timeoutMs;
      for (;;) {
        const hit = deliveries.find(predicate);
        if (hit) return hit;
        const left = deadline - clock.now();
        if (left <= 0 || signal?.aborted) return undefined;
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            signal?.removeEventListener('abort', wake);
            resolve();
          };
          const timer = setTimeout(wake, Math.min(left, 250));
          waiters.add(wake);
          signal?.addEventListener('abort', wake, { once: true });
        });
      }
    },
    async close() {
      unsubscribe();
      await Promise.allSettled([...pending]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
