import { afterEach, expect, test } from 'vitest';
import { systemClock } from '../core/clock.ts';
import type { AlarmDefinition } from '../core/schema.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import { judgeSteadyState, steadyStateOf, waitForSteadyState } from './wait-for-steady-state.ts';

test.each([
  [{ A: 'OK', B: 'OK' }, undefined, true, 'steady state met: A OK, B OK'],
  // Every alarm starts without data; the checks themselves need a transition after the fault.
  [{ A: 'OK', B: 'INSUFFICIENT_DATA' }, undefined, true, 'steady state met: A OK, B INSUFFICIENT_DATA'],
  [{ A: 'OK', B: 'ALARM' }, 2000, false, 'steady state not met: B is ALARM after waiting 2s'],
  [
    { A: 'INSUFFICIENT_DATA', B: undefined },
    undefined,
    false,
    'steady state not met: B is unknown to the provider',
  ],
] as const)('%o (waited %s ms) ⇒ met %s', (states, waitedMs, met, message) => {
  expect(judgeSteadyState(states, waitedMs)).toEqual({ met, states, message });
});

test.each([
  [[], { alarms: [], timeoutMs: 10_000 }],
  [
    [
      { kind: 'alarm-fires', alarm: 'A', within: '20s', after: 'fault.start' },
      { kind: 'alarm-recovers', alarm: 'A', within: '45s', after: 'fault.end' },
      { kind: 'alarm-stays-ok', alarm: 'B', during: 'load' },
      { kind: 'log-appears', fields: { x: 1 }, within: '90s', after: 'fault.start' },
    ],
    { alarms: ['A', 'B'], timeoutMs: 45_000 },
  ],
  [[{ kind: 'alarm-stays-ok', alarm: 'B', during: '1m' }], { alarms: ['B'], timeoutMs: 10_000 }],
] as const)('the steady state of %o', (expectations, expected) => {
  expect(steadyStateOf(expectations)).toEqual(expected);
});

const errors: AlarmDefinition = {
  AlarmName: 'Errors',
  Namespace: 'N',
  MetricName: 'Errors',
  Statistic: 'Sum',
  Period: 10,
  EvaluationPeriods: 1,
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
  severity: 'critical',
};

const open: EmbeddedTelemetry[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

test('an alarm in ALARM is waited for until it recovers, and is not a steady state while it stays there', async () => {
  // 10 s periods at timeScale 50: evaluated every 200 ms of wall time.
  const unfed = {
    ...errors,
    AlarmName: 'Unfed',
    MetricName: 'Nothing',
    TreatMissingData: 'missing' as const,
  };
  const telemetry = await new EmbeddedTelemetry({ alarms: [errors, unfed], timeScale: 50 }).start({
    otlp: false,
  });
  open.push(telemetry);
  const options = { telemetry, clock: systemClock, signal: new AbortController().signal, pollIntervalMs: 20 };
  const started = Date.now();
  // Without data an alarm stays INSUFFICIENT_DATA: that is not waited for.
  expect(await waitForSteadyState(['Unfed'], { ...options, timeoutMs: 2000 })).toMatchObject({
    met: true,
    states: { Unfed: 'INSUFFICIENT_DATA' },
  });
  expect(Date.now() - started).toBeLessThan(1500);

  const feed = setInterval(() => void telemetry.putMetricData('N', [{ MetricName: 'Errors', Value: 1 }]), 20);
  try {
    while ((await telemetry.getAlarmState('Errors')) !== 'ALARM') await new Promise((r) => setTimeout(r, 20));
    const waiting = Date.now();
    const verdict = await waitForSteadyState(['Errors', 'Nope'], { ...options, timeoutMs: 300 });
    expect(Date.now() - waiting).toBeGreaterThanOrEqual(300);
    expect(verdict).toMatchObject({ met: false, states: { Errors: 'ALARM', Nope: undefined } });
    expect(verdict.message).toMatch(
      /^steady state not met: Errors is ALARM, Nope is unknown to the provider after waiting \d+ms$/,
    );
  } finally {
    clearInterval(feed);
  }
  // No more errors: the next evaluations (notBreaching) bring it back to OK within the wait.
  expect(await waitForSteadyState(['Errors'], { ...options, timeoutMs: 3000 })).toMatchObject({
    met: true,
    states: { Errors: 'OK' },
  });
});
