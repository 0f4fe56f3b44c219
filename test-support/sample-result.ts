import * as hdr from 'hdr-histogram-js';
import type { TimelineEvent, TimelineRecord } from '../core/events.ts';
import type { Check, DrillReport, RunResult } from '../core/run-result.ts';

/** What a hostile response snippet or error could carry into a report. */
export const HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)>&amp;';

const START = Date.parse('2026-01-01T00:00:00.000Z');
const at = (t: number) => new Date(START + t).toISOString();
const record = (t: number, event: TimelineEvent): TimelineRecord =>
  ({ ...event, t, at: at(t) }) as TimelineRecord;

/** Deterministic latencies for the sample load: mostly 2–6 ms, 30 slow requests during the fault. */
function sampleLatencies(): number[] {
  const values: number[] = [];
  for (let i = 0; i < 470; i++) values.push(2 + ((i * 37) % 41) / 10);
  for (let i = 0; i < 30; i++) values.push(300 + i * 10);
  return values;
}

function sampleHistogram(): string {
  const histogram = hdr.build({ numberOfSignificantValueDigits: 3, useWebAssembly: false });
  for (const ms of sampleLatencies()) histogram.recordValue(Math.round(ms * 1000));
  const encoded = hdr.encodeIntoCompressedBase64(histogram);
  histogram.destroy();
  return encoded;
}

/** 20 seconds of load from t=1 s; a latency + error fault from 8 s to 14 s; an alarm firing and recovering. */
function sampleTimeline(): TimelineRecord[] {
  const records: TimelineRecord[] = [
    record(0, {
      type: 'run.start',
      runId: '20260101T000000Z-abcd',
      command: 'gate',
      env: 'local',
      target: 'http://127.0.0.1:8080',
    }),
    record(10, { type: 'stage.start', stage: 'preflight' }),
    record(60, { type: 'stage.end', stage: 'preflight', status: 'passed', durationMs: 50 }),
    record(1000, {
      type: 'load.start',
      profile: 'steady',
      engine: 'open',
      model: 'open',
      rate: 25,
      durationMs: 20_000,
    }),
  ];
  for (let second = 1; second <= 20; second++) {
    const faulty = second >= 8 && second <= 14;
    records.push(
      record(1000 + second * 1000, {
        type: 'load.tick',
        profile: 'steady',
        second,
        rps: 25,
        errors: faulty ? 3 + (second % 3) : 0,
        p50: faulty ? 320 : 3 + (second % 4) / 4,
        p99: faulty ? 560 : 6 + (second % 3),
        inFlight: faulty ? 8 : 1,
        dropped: 0,
      }),
    );
    if (second === 7) {
      records.push(
        record(8000, {
          type: 'fault.start',
          faultId: 'f1',
          spec: 'latency:ms=300,percent=100',
          experiment: 'api-latency',
          action: 'delay',
          where: 'http://127.0.0.1:8081',
        }),
      );
    }
    if (second === 10) {
      records.push(
        record(11_000, {
          type: 'alarm.state',
          alarm: 'HighLatencyP99',
          from: 'OK',
          to: 'ALARM',
          reason: `Threshold Crossed: 2 datapoints were greater than the threshold (250.0) ${HOSTILE}`,
        }),
        record(11_001, {
          type: 'expectation',
          name: 'HighLatencyP99 enters ALARM within 15s after fault.start',
          status: 'passed',
          measuredMs: 3000,
          deadlineMs: 15_000,
          message: 'entered ALARM 3s after fault.start',
        }),
      );
    }
    if (second === 13)
      records.push(record(14_000, { type: 'fault.end', faultId: 'f1', reason: 'completed' }));
    if (second === 16) {
      records.push(
        record(17_000, {
          type: 'alarm.state',
          alarm: 'HighLatencyP99',
          from: 'ALARM',
          to: 'OK',
          reason: 'Threshold Crossed: 2 datapoints were not greater than the threshold (250.0)',
        }),
      );
    }
  }
  records.push(
    record(21_000, { type: 'load.end', profile: 'steady', requests: 500, errors: 26, dropped: 0 }),
    record(21_500, { type: 'run.end', status: 'failed' }),
  );
  return records;
}

/**
 * A RunResult for report tests: a failed KPI `p(99)<1` (the acceptance case), a passed health check,
 * canaries (one with a failed step and a screenshot), an experiment journal, expectations (one over its
 * deadline), load with per-second series and an HDR histogram, a fault window and alarm transitions.
 * Text fields carry {@link HOSTILE} markup to prove every format escapes it.
 */
export function sampleResult(overrides: Partial<RunResult> = {}): RunResult {
  const checks: Check[] = [
    {
      id: 'health:ready',
      kind: 'health',
      name: 'target answers /health/ready',
      status: 'passed',
      measured: 200,
      threshold: '2xx or 3xx',
      unit: 'status',
      message: 'GET /health/ready answered 200',
      stage: 'preflight',
    },
    {
      id: 'canary:checkout',
      kind: 'canary',
      name: 'canary checkout',
      status: 'passed',
      measured: 420,
      threshold: null,
      unit: 'ms',
      message: '2 steps passed in 420 ms',
      stage: 'canaries',
    },
    {
      id: 'kpi:p(99)<1',
      kind: 'kpi',
      name: 'p(99)<1',
      status: 'failed',
      measured: 5.115,
      threshold: 'p(99)<1',
      unit: 'ms',
      message: `p(99) = 5.115 ms does not meet p(99)<1 ${HOSTILE}`,
      stage: 'load',
      runbook: 'docs/runbooks/high-latency.md',
    },
    {
      id: 'kpi:rate<=0.1',
      kind: 'kpi',
      name: 'error rate ≤ 10 % (availability 90 %)',
      status: 'passed',
      measured: 0.052,
      threshold: 'rate<=0.1',
      unit: 'ratio',
      message: 'error rate 5.2 % (limit ≤ 10 %) meets rate<=0.1',
      stage: 'load',
    },
    {
      id: 'experiment:api-latency',
      kind: 'experiment',
      name: 'experiment api-latency',
      status: 'passed',
      measured: 'completed',
      threshold: 'completed',
      message: 'completed: latency:ms=300,percent=100 for 6s',
      stage: 'chaos',
    },
    {
      id: 'expectation:api-latency:0:alarm-fires',
      kind: 'expectation',
      name: 'api-latency: HighLatencyP99 enters ALARM within 15s after fault.start',
      status: 'passed',
      measured: 3000,
      threshold: '<=15000ms',
      unit: 'ms',
      message: 'entered ALARM 3s after fault.start',
      stage: 'chaos',
      runbook: 'https://runbooks.example.com/high-latency',
      evidence: {
        alarm: 'HighLatencyP99',
        window: { from: '2026-01-01T10:00:10.000Z', to: '2026-01-01T10:00:13.000Z' },
        datapointCount: 2,
        datapoints: [
          { t: '2026-01-01T10:00:10.000Z', value: 1510 },
          { t: '2026-01-01T10:00:12.000Z', value: 1530 },
        ],
        transition: {
          from: 'OK',
          to: 'ALARM',
          at: '2026-01-01T10:00:13.000Z',
          reason:
            'Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (1000.0)',
        },
      },
    },
    {
      id: 'expectation:api-latency:1:alarm-recovers',
      kind: 'expectation',
      name: 'api-latency: HighLatencyP99 returns to OK within 2s after fault.end',
      status: 'failed',
      measured: 3000,
      threshold: '<=2000ms',
      unit: 'ms',
      message: 'returned to OK 3s after fault.end, over the 2s deadline',
      stage: 'chaos',
      runbook: 'javascript:alert(3)',
      evidence: {
        alarm: 'HighLatencyP99',
        window: { from: '2026-01-01T10:00:20.000Z', to: '2026-01-01T10:00:23.000Z' },
        datapointCount: 1,
        datapoints: [{ t: '2026-01-01T10:00:20.000Z', value: 120 }],
        transition: { from: 'ALARM', to: 'OK', at: '2026-01-01T10:00:23.000Z', reason: 'Threshold Crossed' },
      },
    },
    {
      id: 'canary-after:checkout',
      kind: 'canary',
      name: 'canary checkout (after chaos)',
      status: 'skipped',
      measured: null,
      threshold: null,
      message: 'skipped: --skip canaries-after',
      stage: 'canaries-after',
    },
  ];
  const latencies = sampleLatencies().sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0;
  return {
    schemaVersion: 1,
    runId: '20260101T000000Z-abcd',
    tool: { name: 'opsproof', version: '0.1.0' },
    command: 'gate',
    service: 'opsproof-demo',
    env: 'local',
    provider: 'embedded',
    target: 'http://127.0.0.1:8080',
    startedAt: at(0),
    endedAt: at(21_500),
    durationMs: 21_500,
    status: 'failed',
    checks,
    stages: [
      { name: 'preflight', status: 'passed', startedAt: at(10), endedAt: at(60), durationMs: 50 },
      { name: 'canaries', status: 'passed', startedAt: at(60), endedAt: at(900), durationMs: 840 },
      { name: 'load', status: 'failed', startedAt: at(900), endedAt: at(21_200), durationMs: 20_300 },
      { name: 'chaos', status: 'failed', startedAt: at(7900), endedAt: at(18_000), durationMs: 10_100 },
      {
        name: 'canaries-after',
        status: 'skipped',
        startedAt: at(21_200),
        endedAt: at(21_200),
        durationMs: 0,
        message: 'skipped by --skip',
      },
    ],
    load: {
      engine: 'open',
      model: 'open',
      profile: 'steady',
      target: 'http://127.0.0.1:8080',
      requests: 500,
      rps: 25,
      errors: 26,
      errorRate: 0.052,
      dropped: 0,
      durationMs: 20_000,
      latencyMs: {
        min: latencies[0] ?? 0,
        mean: 22.5,
        p50: pct(50),
        p90: pct(90),
        p95: pct(95),
        p99: pct(99),
        p999: pct(99.9),
        max: latencies.at(-1) ?? 0,
      },
      statusCodes: { '200': 474, '503': 26 },
      scenarios: [
        {
          name: 'list',
          requests: 400,
          errors: 20,
          errorRate: 0.05,
          latencyMs: { min: 2, mean: 20, p50: 4, p90: 6, p95: 300, p99: 560, p999: 580, max: 590 },
        },
      ],
      histogram: sampleHistogram(),
      series: Array.from({ length: 20 }, (_, i) => ({ t: i + 1, rps: 25, errors: 0, p50: 4, p99: 7 })),
    },
    canaries: [
      {
        name: 'checkout',
        type: 'browser',
        status: 'passed',
        startedAt: at(100),
        durationMs: 420,
        attempts: 1,
        stage: 'canaries',
        steps: [
          {
            name: 'open home',
            status: 'passed',
            durationMs: 300,
            artifacts: ['canaries/checkout/attempt1-open-home.png'],
          },
          { name: 'api round trip', status: 'passed', durationMs: 120 },
        ],
      },
      {
        name: 'health',
        type: 'api',
        status: 'failed',
        startedAt: at(200),
        durationMs: 90,
        attempts: 2,
        stage: 'canaries',
        error: `step ready failed: ${HOSTILE}`,
        steps: [
          { name: 'live', status: 'passed', durationMs: 40 },
          {
            name: 'ready',
            status: 'failed',
            durationMs: 50,
            error: `ready returned 503 ${HOSTILE}`,
            artifacts: ['canaries/health/attempt2-ready.txt'],
          },
          { name: 'detailed', status: 'skipped', durationMs: 0 },
        ],
      },
    ],
    experiments: [
      {
        experiment: 'api-latency',
        engine: 'local',
        status: 'completed',
        deviated: true,
        startedAt: at(8000),
        endedAt: at(14_000),
        durationMs: 6000,
        dryRun: false,
        stoppedBy: 'alarm HighErrorRate',
        activities: [
          {
            name: 'delay',
            actionId: 'aws:lambda:invocation-add-delay',
            status: 'succeeded',
            startedAt: at(8000),
            endedAt: at(14_000),
            durationMs: 6000,
            output: 'latency:ms=300,percent=100 on 127.0.0.1:8081',
          },
          {
            name: 'wait',
            actionId: 'aws:fis:wait',
            status: 'stopped',
            startedAt: at(14_000),
            endedAt: at(14_000),
            durationMs: 0,
            error: `stopped by stop condition ${HOSTILE}`,
          },
        ],
      },
    ],
    expectations: [
      {
        name: 'HighLatencyP99 enters ALARM within 15s after fault.start',
        kind: 'alarm-fires',
        status: 'passed',
        measuredMs: 3000,
        deadlineMs: 15_000,
        after: 'fault.start',
        message: 'entered ALARM 3s after fault.start',
        experiment: 'api-latency',
        runbook: 'https://runbooks.example.com/high-latency',
      },
      {
        name: 'HighLatencyP99 returns to OK within 2s after fault.end',
        kind: 'alarm-recovers',
        status: 'failed',
        measuredMs: 3000,
        deadlineMs: 2000,
        after: 'fault.end',
        message: 'returned to OK 3s after fault.end, over the 2s deadline',
        experiment: 'api-latency',
      },
    ],
    artifacts: [
      {
        name: 'checkout: open home (screenshot)',
        path: 'canaries/checkout/attempt1-open-home.png',
        kind: 'screenshot',
      },
      { name: 'health: ready (response)', path: 'canaries/health/attempt2-ready.txt', kind: 'snippet' },
    ],
    timeline: sampleTimeline(),
    ...overrides,
  };
}

/** A DR drill's measurements, for results of `opsproof drill`. */
export function sampleDrill(): DrillReport {
  return {
    name: 'dr',
    kind: 'dr',
    timeToDetectMs: 2100,
    timeToAlarmMs: 4000,
    timeToMitigateMs: 5200,
    timeToRecoverMs: 7400,
    objectiveMs: 10_000,
    impact: { requests: 180, failedRequests: 35, durationMs: 7400 },
    actionItems: [`Page the on-call sooner ${HOSTILE}`],
  };
}
