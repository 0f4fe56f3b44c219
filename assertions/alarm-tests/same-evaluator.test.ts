import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createManualClock } from '../../core/clock.ts';
import { EmbeddedTelemetry } from '../../telemetry/embedded/embedded-telemetry.ts';
import { type AlarmTestCase, type AlarmTestFile, loadAlarmTestFile } from './load-alarm-tests.ts';
import { runAlarmTestFile } from './run-alarm-tests.ts';

// One evaluator everywhere: the embedded provider (what the gate, `assert` and drills read) fed the
// same series as `opsproof alarms test` must reach the same state at every expectation of the shipped
// alarm test files — single-metric, metric math and composite alarms alike.

const root = join(import.meta.dirname, '..', '..');
/**
 * Test time t is alarm time SHIFT + t: the provider's first evaluation is one interval after its
 * origin, and the test runner's is at t = 0. A day is a multiple of every period the files use.
 */
const SHIFT = 86_400_000;

/** The state of each expectation's alarm at its time, as the embedded provider evaluates it. */
async function embeddedStates(file: AlarmTestFile, test: AlarmTestCase): Promise<string[]> {
  const clock = createManualClock();
  const telemetry = new EmbeddedTelemetry({
    clock,
    ...(file.evaluationRange ? { evaluationRange: () => file.evaluationRange! } : {}),
  });
  for (const alarm of file.alarms.values()) {
    if ('definition' in alarm) telemetry.addAlarm(alarm.definition);
    else if ('math' in alarm) telemetry.addMathAlarm(alarm.math);
    else if ('composite' in alarm) telemetry.addCompositeAlarm(alarm.composite);
  }
  for (const s of test.series) {
    const Dimensions = Object.entries(s.Dimensions).map(([Name, Value]) => ({ Name, Value }));
    const data = s.values.flatMap((Value, i) =>
      Value === undefined
        ? []
        : [
            {
              MetricName: s.MetricName,
              Dimensions,
              Value,
              Timestamp: new Date(telemetry.toWallTime(SHIFT + i * test.intervalMs)),
            },
          ],
    );
    await telemetry.putMetricData(s.Namespace, data);
  }
  const until = Math.max(...test.expect.map((e) => e.atMs));
  // Every 10 s, the shortest evaluation interval (10 s alarms); each alarm runs when it is due.
  const tick = 10_000;
  const seen = new Map<number, Map<string, string>>();
  for (let at = 0; at <= until; at += tick) {
    await clock.advance(telemetry.toWallTime(SHIFT + at) - clock.wall().getTime());
    telemetry.evaluateAlarmsNow();
    const states = new Map<string, string>();
    for (const e of test.expect) states.set(e.alarm, (await telemetry.getAlarmState(e.alarm)) ?? 'unknown');
    seen.set(at, states);
  }
  await telemetry.close();
  return test.expect.map((e) => seen.get(e.atMs)?.get(e.alarm) ?? 'not evaluated');
}

describe('the embedded provider and `alarms test` agree', () => {
  test.each([
    'assertions/fixtures/aws-docs-examples.alarms.yaml',
    'assertions/fixtures/math-and-composite.alarms.yaml',
    'demo/alarms/demo.alarms.yaml',
  ])('%s: every expectation, same state', async (path) => {
    const file = await loadAlarmTestFile(path, root);
    const results = runAlarmTestFile(file);
    let compared = 0;
    for (const [i, test] of file.tests.entries()) {
      const runner = results[i]!.expectations.map((e) => `${e.at} ${e.alarm}: ${e.actual}`);
      const embedded = (await embeddedStates(file, test)).map(
        (state, j) => `${test.expect[j]!.at} ${test.expect[j]!.alarm}: ${state}`,
      );
      expect(embedded, test.name).toEqual(runner);
      // And both are what the file expects (the files pass).
      expect(runner, test.name).toEqual(test.expect.map((e) => `${e.at} ${e.alarm}: ${e.state}`));
      compared += runner.length;
    }
    expect(compared).toBeGreaterThan(10);
  });
});
