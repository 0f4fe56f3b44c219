import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { systemClock } from '../core/clock.ts';
import type { AlarmDefinition } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import {
  describeExpectation,
  describeMissingTransition,
  evaluateExpectations,
  judgeStaysOk,
  judgeTransition,
} from './evaluate-expectation.ts';

const alarm: AlarmDefinition = {
  AlarmName: 'HighErrorRate',
  Namespace: 'AWS/ApiGateway',
  MetricName: '5XXError',
  Dimensions: [{ Name: 'ApiName', Value: 'demo' }],
  Statistic: 'Average',
  Period: 10,
  EvaluationPeriods: 3,
  DatapointsToAlarm: 2,
  Threshold: 0.05,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
  severity: 'critical',
  runbook: 'runbooks/errors.md',
};

const open: EmbeddedTelemetry[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** Synthetic traffic straight into the provider: 10 requests per tick with `errors` of them failing. */
function traffic(telemetry: EmbeddedTelemetry, errorFraction: () => number): () => void {
  const timer = setInterval(() => {
    const values = Array.from({ length: 10 }, (_, i) => (i < errorFraction() * 10 ? 1 : 0));
    void telemetry.putMetricData('AWS/ApiGateway', [
      { MetricName: '5XXError', Dimensions: alarm.Dimensions, Values: values, Counts: values.map(() => 1) },
    ]);
  }, 20);
  return () => clearInterval(timer);
}

test('alarm-fires, alarm-recovers and alarm-stays-ok measure time on synthetic metrics', async () => {
  const timeline = new Timeline(systemClock);
  // 10 s periods at timeScale 50: one period every 200 ms of wall time.
  const telemetry = await new EmbeddedTelemetry({ alarms: [alarm], timeScale: 50, timeline }).start({
    otlp: false,
  });
  open.push(telemetry);
  let errors = 0;
  const stop = traffic(telemetry, () => errors);
  const ctx = {
    timeline,
    telemetry,
    clock: systemClock,
    signal: new AbortController().signal,
    alarms: [alarm],
    timeScale: 50,
    pollIntervalMs: 50,
  };
  try {
    timeline.emit({ type: 'load.start', profile: 'p', engine: 'open', model: 'open', durationMs: 600 });
    await new Promise((r) => setTimeout(r, 700));
    timeline.emit({ type: 'load.end', profile: 'p', requests: 1, errors: 0, dropped: 0 });
    const [healthy] = await evaluateExpectations(
      [{ kind: 'alarm-stays-ok', alarm: 'HighErrorRate', during: 'load' }],
      ctx,
    );
    expect(healthy).toMatchObject({ status: 'passed', runbook: 'runbooks/errors.md' });
    expect(healthy!.evidence).toMatchObject({ alarm: 'HighErrorRate' });
    expect(healthy!.evidence!.datapointCount).toBeGreaterThanOrEqual(2);
    expect(healthy!.evidence!.datapoints.map((d) => d.value)).toContain(0);
    expect(healthy!.message).toMatch(/\d+ datapoints/);

    timeline.emit({
      type: 'fault.start',
      faultId: 'f1',
      spec: 'error:status=503,percent=30',
      where: 'gateway',
    });
    errors = 0.3;
    const [fires] = await evaluateExpectations(
      [{ kind: 'alarm-fires', alarm: 'HighErrorRate', within: '5s', after: 'fault.start' }],
      ctx,
    );
    expect(fires).toMatchObject({ status: 'passed', after: 'fault.start', deadlineMs: 5000 });
    expect(fires!.measuredMs).toBeGreaterThan(0);
    expect(fires!.evidence!.transition).toMatchObject({ to: 'ALARM', reason: /^Threshold Crossed/ });
    expect(fires!.evidence!.transition!.from).not.toBe('ALARM');
    expect(fires!.evidence!.datapoints.some((d) => d.value > 0.05)).toBe(true);
    expect(fires!.message).toMatch(
      /entered ALARM .* after fault.start \(.* of alarm time at timeScale 50\): Threshold Crossed/,
    );

    timeline.emit({ type: 'fault.end', faultId: 'f1', reason: 'completed' });
    errors = 0;
    const [recovers] = await evaluateExpectations(
      [{ kind: 'alarm-recovers', alarm: 'HighErrorRate', within: '5s', after: 'fault.end' }],
      ctx,
    );
    expect(recovers).toMatchObject({ status: 'passed' });
    expect(recovers!.measuredMs).toBeGreaterThan(0);
    expect(recovers!.evidence!.transition).toMatchObject({ from: 'ALARM', to: 'OK' });

    // A fixed window after recovery, long enough for periods to be evaluated: the alarm is OK again.
    const [windowed] = await evaluateExpectations(
      [{ kind: 'alarm-stays-ok', alarm: 'HighErrorRate', during: '700ms' }],
      ctx,
    );
    expect(windowed!.status, windowed!.message).toBe('passed');
    expect(timeline.ofType('expectation').map((e) => e.status)).toEqual([
      'passed',
      'passed',
      'passed',
      'passed',
    ]);
  } finally {
    stop();
  }
});

test('an alarm that never fires fails at the deadline; an unknown alarm is an error listing the known ones', async () => {
  const timeline = new Timeline(systemClock);
  const telemetry = await new EmbeddedTelemetry({ alarms: [alarm], timeScale: 50, timeline }).start({
    otlp: false,
  });
  open.push(telemetry);
  timeline.emit({ type: 'fault.start', faultId: 'f1', spec: 'latency:ms=1', where: 'gateway' });
  const results = await evaluateExpectations(
    [
      { kind: 'alarm-fires', alarm: 'HighErrorRate', within: '300ms', after: 'fault.start' },
      { kind: 'alarm-fires', alarm: 'Nope', within: '1s', after: 'fault.start' },
    ],
    { timeline, telemetry, clock: systemClock, signal: new AbortController().signal, pollIntervalMs: 50 },
  );
  expect(results[0]).toMatchObject({ status: 'failed', measuredMs: null });
  expect(results[0]!.message).toMatch(/did not enter ALARM within 300ms/);
  expect(results[1]).toMatchObject({
    status: 'error',
    message: 'unknown alarm "Nope"; known alarms: "HighErrorRate"',
  });
});

test('stays OK on an alarm that never got a datapoint fails: nothing was shown', async () => {
  const slow: AlarmDefinition = {
    AlarmName: 'SlowP99',
    Namespace: 'AWS/ApiGateway',
    MetricName: 'Latency',
    Dimensions: [{ Name: 'ApiName', Value: 'outside' }],
    ExtendedStatistic: 'p99',
    Period: 60,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    Threshold: 1000,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
    severity: 'warning',
  };
  const timeline = new Timeline(systemClock);
  // 60 s periods at timeScale 300: one period every 200 ms; nothing ever feeds the alarm.
  const telemetry = await new EmbeddedTelemetry({ alarms: [slow], timeScale: 300, timeline }).start({
    otlp: false,
  });
  open.push(telemetry);
  timeline.emit({ type: 'load.start', profile: 'p', engine: 'open', model: 'open', durationMs: 800 });
  await new Promise((r) => setTimeout(r, 800));
  timeline.emit({ type: 'load.end', profile: 'p', requests: 400, errors: 0, dropped: 0 });
  const [result] = await evaluateExpectations(
    [{ kind: 'alarm-stays-ok', alarm: 'SlowP99', during: 'load' }],
    {
      timeline,
      telemetry,
      clock: systemClock,
      signal: new AbortController().signal,
      pollIntervalMs: 50,
    },
  );
  // The alarm itself went OK on missing data (notBreaching): the state alone would have passed.
  expect(await telemetry.getAlarmState('SlowP99')).toBe('OK');
  expect(result).toMatchObject({
    status: 'failed',
    message: expect.stringMatching(/^no datapoint reached SlowP99 during load: nothing was shown/),
    evidence: { alarm: 'SlowP99', datapointCount: 0, datapoints: [] },
  });
});

test('fires needs a transition into ALARM after its anchor; recovers one into OK after its anchor', async () => {
  const timeline = new Timeline(systemClock);
  const telemetry = await new EmbeddedTelemetry({ alarms: [alarm], timeScale: 50, timeline }).start({
    otlp: false,
  });
  open.push(telemetry);
  const stop = traffic(telemetry, () => 0.5);
  const ctx = {
    timeline,
    telemetry,
    clock: systemClock,
    signal: new AbortController().signal,
    pollIntervalMs: 50,
  };
  try {
    // In ALARM before the fault starts: the fault's alarm cannot be timed from it.
    await timeline.waitFor('alarm.state', (r) => r.to === 'ALARM', {
      signal: AbortSignal.timeout(5000),
    });
    await new Promise((r) => setTimeout(r, 50));
    timeline.emit({ type: 'fault.start', faultId: 'f1', spec: 'error:status=503', where: 'gateway' });
    timeline.emit({ type: 'fault.end', faultId: 'f1', reason: 'completed' });
    const [fires, recovers] = await evaluateExpectations(
      [
        { kind: 'alarm-fires', alarm: 'HighErrorRate', within: '400ms', after: 'fault.start' },
        { kind: 'alarm-recovers', alarm: 'HighErrorRate', within: '400ms', after: 'fault.end' },
      ],
      ctx,
    );
    expect(fires).toMatchObject({
      status: 'failed',
      measuredMs: null,
      message: expect.stringMatching(
        /^HighErrorRate was already ALARM before fault.start; no transition into ALARM after it was seen/,
      ),
    });
    expect(fires!.evidence?.transition).toBeUndefined();
    // Still in ALARM after the fault ended: nothing recovered.
    expect(recovers).toMatchObject({ status: 'failed', measuredMs: null });
    expect(recovers!.message).toMatch(/^HighErrorRate did not return to OK within 400ms after fault.end/);
  } finally {
    stop();
  }
  // OK throughout: a recovery "after fault.end" with no transition into OK is not a recovery.
  await telemetry.close(); // its alarm recovering now must not reach the next timeline
  const quietTimeline = new Timeline(systemClock);
  const quiet = await new EmbeddedTelemetry({
    alarms: [alarm],
    timeScale: 50,
    timeline: quietTimeline,
  }).start({
    otlp: false,
  });
  open.push(quiet);
  const stopQuiet = traffic(quiet, () => 0);
  try {
    while ((await quiet.getAlarmState('HighErrorRate')) !== 'OK') await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 20));
    quietTimeline.emit({ type: 'fault.end', faultId: 'f2', reason: 'completed' });
    const [recovers] = await evaluateExpectations(
      [{ kind: 'alarm-recovers', alarm: 'HighErrorRate', within: '300ms', after: 'fault.end' }],
      { ...ctx, telemetry: quiet, timeline: quietTimeline },
    );
    expect(recovers).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(
        /^HighErrorRate was already OK before fault.end; no transition into OK after it was seen/,
      ),
    });
  } finally {
    stopQuiet();
  }
});

test('trace-appears and log-appears find a request by correlation ID and report the lag', async () => {
  const timeline = new Timeline(systemClock);
  const telemetry = await new EmbeddedTelemetry({ timeline }).start({ otlp: false });
  open.push(telemetry);
  const logs = new PassThrough();
  telemetry.captureLogs(logs, 'demo');
  timeline.emit({ type: 'run.start', runId: 'r', command: 'assert', env: 'local', target: null });
  setTimeout(() => {
    const now = Date.now();
    telemetry.spans.add([
      {
        traceId: 't1',
        spanId: 's1',
        name: 'GET /x',
        startTime: now - 5,
        endTime: now,
        attributes: { correlation_id: 'cid-7' },
        resource: {},
        receivedAt: now,
      },
    ]);
    logs.write(`${JSON.stringify({ correlationId: 'cid-7', route: '/x' })}\n`);
  }, 100);
  const results = await evaluateExpectations(
    [
      { kind: 'trace-appears', attributes: { correlation_id: 'cid-7' }, within: '3s', after: 'run.start' },
      { kind: 'log-appears', fields: { correlationId: 'cid-7' }, within: '3s', after: 'run.start' },
      { kind: 'log-appears', fields: { correlationId: 'other' }, within: '200ms', after: 'run.start' },
    ],
    { timeline, telemetry, clock: systemClock, signal: new AbortController().signal, pollIntervalMs: 20 },
  );
  expect(results.map((r) => r.status)).toEqual(['passed', 'passed', 'failed']);
  expect(results[0]!.measuredMs).toBeGreaterThanOrEqual(50);
  expect(results[1]!.measuredMs).toBeGreaterThanOrEqual(50);
  expect(timeline.ofType('trace.seen')[0]).toMatchObject({ traceId: 't1' });
  expect(timeline.ofType('log.seen')).toHaveLength(1);
});

describe('pure helpers', () => {
  test.each([
    [
      { kind: 'alarm-fires', alarm: 'A', within: '15s', after: 'fault.start' },
      'A enters ALARM within 15s after fault.start',
    ],
    [
      { kind: 'alarm-recovers', alarm: 'A', within: '20s', after: 'fault.end' },
      'A returns to OK within 20s after fault.end',
    ],
    [{ kind: 'alarm-stays-ok', alarm: 'A', during: 'load' }, 'A stays OK during load'],
    [
      { kind: 'log-appears', fields: { route: '/x' }, within: '5s', after: 'load.start' },
      'log line with route="/x" appears within 5s after load.start',
    ],
  ] as const)('%o is named "%s"', (e, name) => {
    expect(describeExpectation(e)).toBe(name);
  });

  const stays = { alarm: 'SlowP99', during: 'load', windowMs: 10_000 };
  test.each([
    [
      'no datapoint',
      { ...stays, state: 'OK', datapointCount: 0 },
      'failed',
      /^no datapoint reached SlowP99 during load: nothing was shown/,
    ],
    [
      'a provider that cannot list datapoints',
      { ...stays, state: 'OK', datapointCount: null },
      'failed',
      /^the datapoints of SlowP99 during load could not be read: nothing was shown/,
    ],
    [
      'in ALARM with datapoints',
      { ...stays, state: 'ALARM', datapointCount: 4 },
      'failed',
      /^SlowP99 was in ALARM during the 10s window/,
    ],
    [
      'OK with datapoints',
      { ...stays, state: 'OK', datapointCount: 4 },
      'passed',
      /^SlowP99 stayed out of ALARM for the 10s window over 4 datapoints \(now OK\)/,
    ],
    ['one datapoint', { ...stays, state: 'OK', datapointCount: 1 }, 'passed', /over 1 datapoint \(now OK\)/],
  ] as const)('stays OK, %s ⇒ %s', (_what, input, status, message) => {
    const verdict = judgeStaysOk(input);
    expect(verdict.status).toBe(status);
    expect(verdict.message).toMatch(message);
  });

  test.each([
    [
      'ALARM',
      'ALARM',
      'fault.start',
      'HighErrorRate was already ALARM before fault.start; no transition into ALARM after it was seen',
    ],
    [
      'OK',
      'OK',
      'fault.end',
      'HighErrorRate was already OK before fault.end; no transition into OK after it was seen',
    ],
    [
      'ALARM',
      'OK',
      'fault.start',
      'HighErrorRate did not enter ALARM within 5s after fault.start (state: OK)',
    ],
    [
      'OK',
      'ALARM',
      'fault.end',
      'HighErrorRate did not return to OK within 5s after fault.end (state: ALARM)',
    ],
    [
      'ALARM',
      undefined,
      'fault.start',
      'HighErrorRate did not enter ALARM within 5s after fault.start (state: unknown)',
    ],
  ] as const)('no transition into %s, state %s after %s: fails', (target, state, after, message) => {
    expect(describeMissingTransition({ alarm: 'HighErrorRate', target, after, within: '5s', state })).toBe(
      message,
    );
  });

  test('judgeTransition takes the first matching change after the anchor', () => {
    const at = (ms: number, newState: 'OK' | 'ALARM') => ({
      alarmName: 'A',
      timestamp: new Date(ms),
      oldState: 'OK' as const,
      newState,
      reason: String(ms),
    });
    const changes = [at(500, 'ALARM'), at(2000, 'ALARM'), at(1500, 'OK'), at(1200, 'ALARM')];
    expect(judgeTransition(changes, 'ALARM', 1000)).toMatchObject({ measuredMs: 200 });
    expect(judgeTransition(changes, 'OK', 1600)).toBeUndefined();
  });
});

test("alarm-stays-ok on a composite alarm rests on its children's datapoints, each named", async () => {
  const timeline = new Timeline(systemClock);
  // 10 s periods at timeScale 50: a period every 200 ms; the composite is evaluated each (alarm) minute.
  const telemetry = await new EmbeddedTelemetry({
    alarms: [
      alarm,
      { AlarmName: 'Degraded', AlarmRule: 'ALARM(HighErrorRate) OR ALARM(Quiet)', severity: 'warning' },
      { ...alarm, AlarmName: 'Quiet', MetricName: 'Unfed' },
    ],
    timeScale: 50,
    timeline,
  }).start({ otlp: false });
  open.push(telemetry);
  const stop = traffic(telemetry, () => 0);
  try {
    timeline.emit({ type: 'load.start', profile: 'p', engine: 'open', model: 'open', durationMs: 1500 });
    await new Promise((r) => setTimeout(r, 1500));
    timeline.emit({ type: 'load.end', profile: 'p', requests: 750, errors: 0, dropped: 0 });
  } finally {
    stop();
  }
  const [result] = await evaluateExpectations(
    [{ kind: 'alarm-stays-ok', alarm: 'Degraded', during: 'load' }],
    {
      timeline,
      telemetry,
      clock: systemClock,
      signal: new AbortController().signal,
      pollIntervalMs: 50,
    },
  );
  expect(await telemetry.getAlarmState('Degraded')).toBe('OK');
  expect(result?.status, result?.message).toBe('passed');
  expect(result?.message).toMatch(/^Degraded stayed out of ALARM for the .* window over \d+ datapoints/);
  // The fed child's datapoints (0 % errors), labelled; the unfed one shows none.
  expect(result?.evidence?.datapointCount).toBeGreaterThan(2);
  expect(new Set(result?.evidence?.datapoints.map((d) => d.alarm))).toEqual(new Set(['HighErrorRate']));
  expect(result?.evidence?.datapoints.every((d) => d.value === 0)).toBe(true);
});

test('alarm-stays-ok judges the load window, not the state the alarm is in when the check is read', async () => {
  const timeline = new Timeline(systemClock);
  // 10 s periods at timeScale 50: a period every 200 ms.
  const telemetry = await new EmbeddedTelemetry({ alarms: [alarm], timeScale: 50, timeline }).start({
    otlp: false,
  });
  open.push(telemetry);
  let errors = 0;
  const stop = traffic(telemetry, () => errors);
  const ctx = {
    timeline,
    telemetry,
    clock: systemClock,
    signal: new AbortController().signal,
    pollIntervalMs: 50,
  };
  try {
    timeline.emit({ type: 'load.start', profile: 'p', engine: 'open', model: 'open', durationMs: 1000 });
    await new Promise((r) => setTimeout(r, 1000));
    timeline.emit({ type: 'load.end', profile: 'p', requests: 500, errors: 0, dropped: 0 });
    // Later (as a gate's chaos stage after its load), a fault holds the alarm in ALARM.
    errors = 1;
    await timeline.waitFor('alarm.state', (r) => r.to === 'ALARM', { signal: AbortSignal.timeout(5000) });
    expect(await telemetry.getAlarmState('HighErrorRate')).toBe('ALARM');
    const [healthy] = await evaluateExpectations(
      [{ kind: 'alarm-stays-ok', alarm: 'HighErrorRate', during: 'load' }],
      ctx,
    );
    expect(healthy?.status, healthy?.message).toBe('passed');
    expect(healthy?.message).toMatch(/stayed out of ALARM for the .* window over \d+ datapoints \(now OK\)$/);
  } finally {
    stop();
  }
});
