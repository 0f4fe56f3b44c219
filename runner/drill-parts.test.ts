import { expect, test } from 'vitest';
import { createManualClock } from '../core/clock.ts';
import type { RecordOf } from '../core/events.ts';
import type { DrillReport } from '../core/run-result.ts';
import type { SuiteAlarmDefinition } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { AlarmStateChange } from '../telemetry/types.ts';
import { buildDrillMarkdown } from './build-drill-markdown.ts';
import { measureImpact } from './build-drill-report.ts';
import { startNotificationSink } from './start-notification-sink.ts';

const tick = (t: number, rps: number, errors: number) =>
  ({
    type: 'load.tick',
    profile: 'p',
    second: t / 1000,
    rps,
    errors,
    p50: 1,
    p99: 1,
    inFlight: 0,
    dropped: 0,
    t,
    at: '',
  }) as RecordOf<'load.tick'>;

test.each([
  [
    'ticks inside the window count',
    [tick(2000, 20, 0), tick(3000, 19.5, 5), tick(4000, 20.5, 20)],
    1500,
    3500,
    { requests: 60, failedRequests: 25, durationMs: 2000 },
  ],
  [
    'a tick closing a second that overlaps the start counts',
    [tick(1200, 10, 1)],
    1000,
    1100,
    { requests: 10, failedRequests: 1, durationMs: 100 },
  ],
  [
    'ticks before and well after do not',
    [tick(900, 10, 1), tick(5000, 10, 1)],
    1000,
    3000,
    { requests: 0, failedRequests: 0, durationMs: 2000 },
  ],
])('measureImpact: %s', (_name, ticks, from, to, expected) => {
  expect(measureImpact(ticks, from, to)).toEqual(expected);
});

const report: DrillReport = {
  name: 'dr',
  kind: 'dr',
  description: 'the process dies',
  rootCause: 'injected by drill dr: process-kill',
  incidentStartedAt: '2026-01-01T00:00:00.000Z',
  timeToDetectMs: 600,
  timeToAlarmMs: null,
  timeToMitigateMs: 1900,
  timeToRecoverMs: 2200,
  objectiveMs: 30_000,
  impact: { requests: 40, failedRequests: 30, durationMs: 2200 },
  milestones: [
    { name: 'detection', atMs: 600, at: '2026-01-01T00:00:00.600Z', source: 'canary api failed' },
    { name: 'response', atMs: 40, at: '2026-01-01T00:00:00.040Z', source: 'restarted' },
    { name: 'mitigation', atMs: 1900, at: '2026-01-01T00:00:01.900Z', source: 'ready again' },
    { name: 'resolution', atMs: null, source: 'canary passing' },
  ],
  runbooks: [{ alarm: 'ServiceDown', runbook: '../../runbooks/service down.md' }],
  actionItems: ['Immediate fix', 'Process improvement'],
};

test('buildDrillMarkdown follows the post-incident template with measured times and open action items', () => {
  const md = buildDrillMarkdown({
    report,
    checks: [
      {
        id: 'drill:dr:rto',
        kind: 'drill',
        name: 'recovered | RTO',
        status: 'failed',
        measured: null,
        threshold: '<=30000ms',
        message: 'x',
      },
    ],
    service: 'svc',
    env: 'local',
    runId: 'r1',
  });
  expect(md).toContain('## Incident Report: drill dr (DR drill)');
  expect(md).toContain('❌ failed (1 check)');
  expect(md).toContain('- Detection: 2026-01-01T00:00:00.600Z (+600ms) — canary api failed');
  expect(md).toContain('- Resolution: [TIME] (not reached) — canary passing');
  expect(md).toContain('| Time to recover | +2.2s | RTO 30s |');
  expect(md).toContain('- Requests during the incident: 40; failed: 30 (75.0 %)');
  expect(md).toContain('### Root Cause\n\ninjected by drill dr: process-kill');
  // Linked relatively from the run directory, where drill.md is.
  expect(md).toContain('- ServiceDown: [../../runbooks/service down.md](../../runbooks/service%20down.md)');
  expect(md).toContain('| ❌ | recovered \\| RTO |');
  expect(md).toMatch(/### Action Items\n\n- \[ \] Immediate fix\n- \[ \] Process improvement\n/);
});

test('the notification sink delivers ALARM transitions over HTTP to the route of the alarm severity', async () => {
  const listeners = new Set<(c: AlarmStateChange) => void>();
  const telemetry = {
    onAlarmStateChange(listener: (c: AlarmStateChange) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as Telemetry;
  const alarm = (name: string, severity: 'critical' | 'warning') => ({
    AlarmName: name,
    Namespace: 'N',
    MetricName: 'M',
    Statistic: 'Sum' as const,
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanThreshold' as const,
    TreatMissingData: 'missing' as const,
    severity,
    runbook: 'rb.md',
  });
  const sink = await startNotificationSink({
    telemetry,
    alarms: [alarm('Errors', 'critical'), alarm('Slow', 'warning')],
    timeline: new Timeline(),
  });
  try {
    const change = (
      alarmName: string,
      oldState: AlarmStateChange['oldState'],
      newState: AlarmStateChange['newState'],
    ) => {
      for (const l of listeners) l({ alarmName, oldState, newState, reason: 'r', timestamp: new Date() });
    };
    change('Errors', 'OK', 'ALARM');
    change('Slow', 'OK', 'INSUFFICIENT_DATA'); // no action for INSUFFICIENT_DATA
    change('Slow', 'OK', 'ALARM');
    const errors = await sink.waitFor((d) => d.notification.AlarmName === 'Errors', 5000);
    const slow = await sink.waitFor((d) => d.notification.AlarmName === 'Slow', 5000);
    expect(errors).toMatchObject({
      route: 'critical',
      notification: { NewStateValue: 'ALARM', Runbook: 'rb.md' },
    });
    expect(slow).toMatchObject({ route: 'warning', notification: { NewStateValue: 'ALARM' } });
    expect(
      await sink.waitFor((d) => d.notification.NewStateValue === 'INSUFFICIENT_DATA', 300),
    ).toBeUndefined();
    expect(sink.routeUrl('critical')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/notify\/critical$/);
    expect(sink.failures).toEqual([]);
  } finally {
    await sink.close();
  }
});

test("a composite alarm's state changes notify its own severity's route, as CloudWatch's composite actions do", async () => {
  const alarms: SuiteAlarmDefinition[] = [
    {
      AlarmName: 'Errors',
      Namespace: 'N',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      severity: 'info',
    },
    { AlarmName: 'Down', AlarmRule: 'ALARM(Errors)', severity: 'critical', runbook: 'down.md' },
  ];
  const clock = createManualClock();
  const telemetry = new EmbeddedTelemetry({ alarms, clock });
  const sink = await startNotificationSink({ telemetry, alarms, timeline: new Timeline() });
  try {
    // Minute 0 without errors (OK), minute 1 with one: Errors and then Down enter ALARM at 2m.
    for (const errors of [0, 1]) {
      await telemetry.putMetricData('N', [{ MetricName: 'Errors', Value: errors }]);
      await clock.advance(60_000);
      telemetry.evaluateAlarmsNow();
    }
    expect(await telemetry.getAlarmState('Down')).toBe('ALARM');
    const down = await sink.waitFor(
      (d) => d.notification.AlarmName === 'Down' && d.notification.NewStateValue === 'ALARM',
      5000,
    );
    expect(down).toMatchObject({ route: 'critical', notification: { Runbook: 'down.md' } });
    expect(
      await sink.waitFor(
        (d) => d.notification.AlarmName === 'Errors' && d.notification.NewStateValue === 'ALARM',
        5000,
      ),
    ).toMatchObject({ route: 'info' });
    expect(sink.failures).toEqual([]);
  } finally {
    await sink.close();
    await telemetry.close();
  }
});
