import { PassThrough } from 'node:stream';
import { afterEach, expect, test } from 'vitest';
import { startFaultGateway } from '../chaos/fault-gateway.ts';
import { parseFaultSpec } from '../chaos/parse-fault-spec.ts';
import { systemClock } from '../core/clock.ts';
import { loadSuite } from '../core/load-config.ts';
import { Timeline } from '../core/timeline.ts';
import { ATTR_CORRELATION_ID } from '../demo/create-tracing.ts';
import { startDemoServer } from '../demo/server.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import { evaluateExpectations } from './evaluate-expectation.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Bounded background traffic through the gateway: `rps` requests a second until stopped. */
function backgroundLoad(url: string, rps: number, maxRequests: number): () => Promise<void> {
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (sent >= maxRequests) return;
    sent++;
    const p = fetch(`${url}/api/measurements`)
      .then((r) => r.body?.cancel())
      .catch(() => undefined)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, 1000 / rps);
  return async () => {
    clearInterval(timer);
    await Promise.all(inFlight);
  };
}

test('demo behind the gateway: a 30 % error fault fires HighErrorRate, it recovers after, and it stays OK under healthy load', async () => {
  const { suite } = await loadSuite({ cwd: new URL('..', import.meta.url).pathname });
  const timeline = new Timeline(systemClock);
  // The suite's real alarm (60 s periods, 2 of 3) on a clock 60× faster: a period lasts 1 s.
  const telemetry = await new EmbeddedTelemetry({ alarms: suite.alarms, timeScale: 60, timeline }).start({
    otlp: false,
  });
  cleanups.push(() => telemetry.close());
  const demo = await startDemoServer({ log: () => {} });
  cleanups.push(() => demo.close());
  const gateway = await startFaultGateway({ upstream: demo.url, telemetry, timeline, flushIntervalMs: 100 });
  cleanups.push(() => gateway.close());
  const stopLoad = backgroundLoad(gateway.url, 50, 1500);
  cleanups.push(stopLoad);
  const ctx = {
    timeline,
    telemetry,
    clock: systemClock,
    signal: new AbortController().signal,
    alarms: suite.alarms,
    timeScale: 60,
    pollIntervalMs: 100,
  };

  timeline.emit({
    type: 'load.start',
    profile: 'background',
    engine: 'open',
    model: 'open',
    durationMs: 3000,
  });
  await new Promise((r) => setTimeout(r, 3000));
  timeline.emit({ type: 'load.end', profile: 'background', requests: 0, errors: 0, dropped: 0 });
  const [healthy] = await evaluateExpectations(
    [{ kind: 'alarm-stays-ok', alarm: 'HighErrorRate', during: 'load' }],
    ctx,
  );
  expect(healthy!.status).toBe('passed');

  const fault = gateway.addFault(parseFaultSpec('error:status=503,percent=30'), 20_000);
  const [fires] = await evaluateExpectations(
    [{ kind: 'alarm-fires', alarm: 'HighErrorRate', within: '10s', after: 'fault.start' }],
    ctx,
  );
  expect(fires).toMatchObject({ status: 'passed', runbook: 'demo/runbooks/high-error-rate.md' });
  expect(fires!.measuredMs).toBeGreaterThan(0);

  gateway.removeFault(fault.id, 'completed');
  const [recovers] = await evaluateExpectations(
    [{ kind: 'alarm-recovers', alarm: 'HighErrorRate', within: '10s', after: 'fault.end' }],
    ctx,
  );
  expect(recovers!.status).toBe('passed');
  expect(recovers!.measuredMs).toBeGreaterThan(0);

  // Each verdict rests on what the demo's traffic fed the alarm: 5XXError averages per period.
  expect(healthy!.evidence!.datapointCount).toBeGreaterThan(0);
  expect(fires!.evidence).toMatchObject({ transition: { from: 'OK', to: 'ALARM' } });
  expect(fires!.evidence!.datapoints.some((d) => d.value > 0.05)).toBe(true);
  expect(recovers!.evidence).toMatchObject({ transition: { from: 'ALARM', to: 'OK' } });
  expect(recovers!.evidence!.datapointCount).toBeGreaterThan(0);
}, 40_000);

test('a request with a known correlation ID is found as an OTLP trace and as a captured log line, with the lag', async () => {
  const timeline = new Timeline(systemClock);
  const telemetry = await new EmbeddedTelemetry({ timeline }).start();
  cleanups.push(() => telemetry.close());
  const stdout = new PassThrough();
  telemetry.captureLogs(stdout, 'demo');
  const demo = await startDemoServer({
    otlpEndpoint: telemetry.otlpUrl,
    log: (line) => stdout.write(line.endsWith('\n') ? line : `${line}\n`),
  });
  cleanups.push(() => demo.close());
  const correlationId = `cid-${Date.now()}`;
  timeline.emit({ type: 'run.start', runId: 'r', command: 'assert', env: 'local', target: demo.url });
  const res = await fetch(`${demo.url}/api/measurements`, { headers: { 'x-correlation-id': correlationId } });
  await res.body?.cancel();
  const results = await evaluateExpectations(
    [
      {
        kind: 'trace-appears',
        attributes: { [ATTR_CORRELATION_ID]: correlationId },
        within: '10s',
        after: 'run.start',
      },
      { kind: 'log-appears', fields: { correlationId }, within: '10s', after: 'run.start' },
    ],
    { timeline, telemetry, clock: systemClock, signal: new AbortController().signal, pollIntervalMs: 50 },
  );
  expect(results.map((r) => r.status)).toEqual(['passed', 'passed']);
  for (const r of results) expect(r.measuredMs).toEqual(expect.any(Number));
  expect(timeline.ofType('trace.seen')).toHaveLength(1);
  expect(timeline.ofType('log.seen')).toHaveLength(1);
}, 20_000);
