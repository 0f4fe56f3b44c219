import type { Check, RunResult } from '../core/run-result.ts';

/** A RunResult for report tests: one failed KPI, one passed health check, a load summary. */
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
      id: 'kpi:p(99)<1000',
      kind: 'kpi',
      name: 'p(99)<1000',
      status: 'failed',
      measured: 1234.5,
      threshold: 'p(99)<1000',
      unit: 'ms',
      message: 'p99 latency 1234.50 ms is over 1000 ms <script>&',
      stage: 'load',
      runbook: 'docs/runbooks/latency.md',
    },
  ];
  return {
    schemaVersion: 1,
    runId: '20260101T000000Z-abcd',
    tool: { name: 'opsproof', version: '0.1.0' },
    command: 'gate',
    service: 'opsproof-demo',
    env: 'local',
    provider: 'embedded',
    target: 'http://127.0.0.1:8080',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:12.300Z',
    durationMs: 12_300,
    status: 'failed',
    checks,
    stages: [
      {
        name: 'preflight',
        status: 'passed',
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: '2026-01-01T00:00:00.050Z',
        durationMs: 50,
      },
      {
        name: 'load',
        status: 'failed',
        startedAt: '2026-01-01T00:00:00.050Z',
        endedAt: '2026-01-01T00:00:12.000Z',
        durationMs: 11_950,
      },
    ],
    load: {
      engine: 'open',
      model: 'open',
      profile: 'steady',
      target: 'http://127.0.0.1:8080',
      requests: 500,
      rps: 50,
      errors: 2,
      errorRate: 0.004,
      dropped: 0,
      durationMs: 10_000,
      latencyMs: { min: 1, mean: 20, p50: 12, p90: 40, p95: 80, p99: 1234.5, p999: 1500, max: 1600 },
      statusCodes: { '200': 498, '503': 2 },
    },
    artifacts: [],
    timeline: [],
    ...overrides,
  };
}
