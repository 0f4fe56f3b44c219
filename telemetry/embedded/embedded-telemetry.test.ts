import { PassThrough } from 'node:stream';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, test } from 'vitest';
import { createManualClock } from '../../core/clock.ts';
import type { AlarmDefinition } from '../../core/schema.ts';
import { Timeline } from '../../core/timeline.ts';
import { parseLogLine } from '../parse-log-line.ts';
import { EmbeddedTelemetry } from './embedded-telemetry.ts';
import { SpanStore } from './span-store.ts';

const open: EmbeddedTelemetry[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function started(options: ConstructorParameters<typeof EmbeddedTelemetry>[0] = {}) {
  const telemetry = await new EmbeddedTelemetry(options).start();
  open.push(telemetry);
  return telemetry;
}

describe('OTLP/HTTP receiver', () => {
  test.each([
    ['protobuf', (url: string) => new ProtoExporter({ url })],
    ['json', (url: string) => new JsonExporter({ url })],
  ])('receives spans exported as %s and finds them by attribute and time', async (_kind, makeExporter) => {
    const telemetry = await started();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'demo-test' }),
      spanProcessors: [new SimpleSpanProcessor(makeExporter(`${telemetry.otlpUrl}/v1/traces`))],
    });
    const before = new Date(Date.now() - 1000);
    const tracer = provider.getTracer('test');
    const span = tracer.startSpan('GET /api/measurements', {
      attributes: { 'http.route': '/api/measurements', correlation_id: 'abc-123', 'http.status_code': 200 },
    });
    span.end();
    tracer.startSpan('other', { attributes: { correlation_id: 'zzz' } }).end();
    await provider.forceFlush();
    await provider.shutdown();

    const found = await telemetry.findTraces({ attributes: { correlation_id: 'abc-123' }, from: before });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      traceId: span.spanContext().traceId,
      service: 'demo-test',
      rootName: 'GET /api/measurements',
      spanCount: 1,
    });
    expect(found[0]!.attributes['http.status_code']).toBe(200);
    // Numbers match their text, resource attributes match too.
    expect(
      await telemetry.findTraces({ attributes: { 'http.status_code': '200' }, from: before }),
    ).toHaveLength(1);
    expect(
      await telemetry.findTraces({ attributes: { 'service.name': 'demo-test' }, from: before }),
    ).toHaveLength(2);
    // Outside the window: nothing.
    expect(
      await telemetry.findTraces({
        attributes: { correlation_id: 'abc-123' },
        from: new Date(Date.now() + 60_000),
      }),
    ).toEqual([]);
  });

  test('answers 400 to a malformed body and 404 elsewhere', async () => {
    const telemetry = await started();
    const bad = await fetch(`${telemetry.otlpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    expect((await fetch(`${telemetry.otlpUrl}/v1/metrics`, { method: 'POST', body: '' })).status).toBe(404);
  });

  test('the span store is bounded: the oldest spans are evicted and counted', () => {
    const store = new SpanStore({ maxSpans: 2 });
    const span = (id: string) => ({
      traceId: id,
      spanId: id,
      name: id,
      startTime: 1,
      endTime: 2,
      attributes: {},
      resource: {},
      receivedAt: 3,
    });
    store.add([span('a'), span('b'), span('c')]);
    expect(store.size).toBe(2);
    expect(store.evicted).toBe(1);
    expect(
      store
        .find({ from: new Date(0) })
        .map((t) => t.traceId)
        .sort(),
    ).toEqual(['b', 'c']);
  });
});

describe('log capture', () => {
  test('JSON lines are queryable by field; other lines are kept raw', async () => {
    const telemetry = new EmbeddedTelemetry({ maxLogRecords: 3 });
    open.push(telemetry);
    const stream = new PassThrough();
    telemetry.captureLogs(stream, 'demo');
    stream.write(
      '{"level":"info","route":"/api/measurements","correlationId":"c-1","http":{"status":200}}\n',
    );
    stream.write('plain text line\n');
    stream.write('{"route":"/health/ready","correlationId":"c-2"}\n');
    stream.end();
    await new Promise((r) => setTimeout(r, 20));
    const from = new Date(Date.now() - 10_000);
    const hits = await telemetry.findLogs({ fields: { correlationId: 'c-1' }, from });
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ source: 'demo', fields: { route: '/api/measurements' } });
    expect(await telemetry.findLogs({ fields: { 'http.status': 200 }, from })).toHaveLength(1);
    expect(await telemetry.findLogs({ contains: 'plain text', from })).toMatchObject([
      { fields: {}, raw: 'plain text line' },
    ]);
    expect(await telemetry.findLogs({ fields: { correlationId: 'nope' }, from })).toEqual([]);
  });

  test('the log store is bounded and a line carries its own time when it has one', () => {
    const telemetry = new EmbeddedTelemetry({ maxLogRecords: 2 });
    for (const n of [1, 2, 3]) telemetry.logs.add(parseLogLine(`{"n":${n}}`, 's', 1000));
    expect(telemetry.logs.size).toBe(2);
    expect(telemetry.logs.evicted).toBe(1);
    expect(parseLogLine('{"time":"2026-01-01T00:00:00.000Z"}', 's', 5).timestamp.toISOString()).toBe(
      '2026-01-01T00:00:00.000Z',
    );
  });
});

describe('alarms on a compressed clock', () => {
  const errorRate: AlarmDefinition = {
    AlarmName: 'HighErrorRate',
    Namespace: 'AWS/ApiGateway',
    MetricName: '5XXError',
    Dimensions: [{ Name: 'ApiName', Value: 'demo' }],
    Statistic: 'Average',
    Period: 60,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    Threshold: 0.05,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
    severity: 'warning',
  };

  test('with timeScale 30 a 60 s period lasts 2 s of wall time; the alarm fires, recovers and records why', async () => {
    const clock = createManualClock();
    const timeline = new Timeline(clock);
    const telemetry = new EmbeddedTelemetry({ alarms: [errorRate], timeScale: 30, clock, timeline });
    const pushed: string[] = [];
    telemetry.onAlarmStateChange((c) => pushed.push(`${c.oldState}->${c.newState}`));
    const dims = errorRate.Dimensions;
    // One wall second = 30 s of alarm time. Per 2 s of wall time: healthy, then 30 % errors, then healthy.
    const putSecond = async (errorFraction: number) => {
      const values = Array.from({ length: 10 }, (_, i) => (i < errorFraction * 10 ? 1 : 0));
      await telemetry.putMetricData('AWS/ApiGateway', [
        { MetricName: '5XXError', Dimensions: dims, Values: values, Counts: values.map(() => 1) },
      ]);
      await clock.advance(1000);
      telemetry.evaluateAlarmsNow();
    };
    for (let s = 0; s < 4; s++) await putSecond(0);
    expect(await telemetry.getAlarmState('HighErrorRate')).toBe('OK');
    for (let s = 0; s < 4; s++) await putSecond(0.3);
    expect(await telemetry.getAlarmState('HighErrorRate')).toBe('ALARM');
    for (let s = 0; s < 6; s++) await putSecond(0);
    expect(await telemetry.getAlarmState('HighErrorRate')).toBe('OK');

    expect(pushed).toEqual(['INSUFFICIENT_DATA->OK', 'OK->ALARM', 'ALARM->OK']);
    const history = await telemetry.getAlarmHistory('HighErrorRate', { from: new Date(0) });
    expect(history.map((h) => h.newState)).toEqual(['OK', 'ALARM', 'OK']);
    expect(history[1]!.reason).toMatch(
      /^Threshold Crossed: 2 out of the last 3 datapoints \[0\.3 \(.*\), 0\.3 \(.*\)\] were greater than the threshold \(0\.05\)/,
    );
    // The ALARM transition happened after 2 breaching periods = 4 s of wall time at most after the fault.
    const faultAt = clock.wall().getTime() - 10_000;
    const alarmAt = history[1]!.timestamp.getTime();
    expect(alarmAt - faultAt).toBeGreaterThan(0);
    expect(alarmAt - faultAt).toBeLessThanOrEqual(6000);
    expect(timeline.ofType('alarm.state').map((e) => e.to)).toEqual(['OK', 'ALARM', 'OK']);
    expect(await telemetry.getAlarmState('Nope')).toBeUndefined();
    expect(await telemetry.listAlarmNames()).toEqual(['HighErrorRate']);
  });

  test('getAlarmDatapoints: the datapoints its evaluations used whose periods overlap a wall-clock window', async () => {
    const clock = createManualClock();
    const telemetry = new EmbeddedTelemetry({ alarms: [errorRate], timeScale: 30, clock });
    const t0 = clock.wall().getTime();
    for (let s = 0; s < 4; s++) {
      const values = Array.from({ length: 10 }, (_, i) => (i < 3 ? 1 : 0));
      await telemetry.putMetricData('AWS/ApiGateway', [
        {
          MetricName: '5XXError',
          Dimensions: errorRate.Dimensions,
          Values: values,
          Counts: values.map(() => 1),
        },
      ]);
      await clock.advance(1000);
      telemetry.evaluateAlarmsNow();
    }
    // 60 s periods at timeScale 30 last 2 s of wall time: two complete periods were evaluated.
    const all = await telemetry.getAlarmDatapoints('HighErrorRate', {
      from: new Date(t0),
      to: new Date(t0 + 4000),
    });
    expect(all?.map((d) => [d.timestamp.getTime() - t0, d.value, d.sampleCount])).toEqual([
      [0, 0.3, 20],
      [2000, 0.3, 20],
    ]);
    const overlapping = await telemetry.getAlarmDatapoints('HighErrorRate', {
      from: new Date(t0 + 2500),
      to: new Date(t0 + 3000),
    });
    expect(overlapping?.map((d) => d.timestamp.getTime() - t0)).toEqual([2000]);
    expect(
      await telemetry.getAlarmDatapoints('HighErrorRate', { from: new Date(t0 - 9000), to: new Date(t0) }),
    ).toEqual([]);
    expect(await telemetry.getAlarmDatapoints('Nope', { from: new Date(t0), to: new Date(t0 + 1) })).toBe(
      undefined,
    );
  });

  test('the alarm timer evaluates on its own', async () => {
    const telemetry = await started({
      alarms: [{ ...errorRate, Period: 10, EvaluationPeriods: 1, DatapointsToAlarm: 1 }],
      timeScale: 100,
    });
    await telemetry.putMetricData('AWS/ApiGateway', [
      { MetricName: '5XXError', Dimensions: errorRate.Dimensions, Value: 1 },
    ]);
    const change = await new Promise((resolve) => telemetry.onAlarmStateChange(resolve));
    expect(change).toMatchObject({ newState: 'ALARM' });
  });

  test('getMetricStatistics aggregates per wall-clock period', async () => {
    const telemetry = new EmbeddedTelemetry();
    const t0 = new Date('2026-01-01T00:00:00Z');
    await telemetry.putMetricData('N', [
      { MetricName: 'Latency', Values: [10, 20, 1000], Counts: [50, 49, 1], Timestamp: t0 },
    ]);
    const stats = await telemetry.getMetricStatistics({
      id: { Namespace: 'N', MetricName: 'Latency' },
      statistic: 'p99',
      periodSeconds: 60,
      from: t0,
      to: new Date(t0.getTime() + 60_000),
    });
    expect(stats).toEqual([{ timestamp: t0, value: 20, sampleCount: 100 }]);
  });
});
