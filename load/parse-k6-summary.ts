import { EnvironmentError } from '../core/errors.ts';
import type { LatencySummary, LoadScenarioSummary, LoadSummary } from '../core/run-result.ts';
import { K6_MEASURED_SCENARIO, K6_REQUEST_TAG } from './build-k6-script.ts';

type K6Metric = Record<string, unknown>;

/**
 * Reads k6's `--summary-export` JSON (metrics keyed by name or submetric, values flattened) into the
 * LoadSummary shape. Anything unexpected is an error naming what was missing, not a zero.
 */
export function parseK6Summary(
  text: string,
  info: {
    profile: string;
    target: string;
    model: 'open' | 'closed';
    durationMs: number;
    requestNames: string[];
  },
): Omit<LoadSummary, 'series'> {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw malformed(`it is not JSON (${(error as Error).message})`);
  }
  const metrics = (root as { metrics?: Record<string, K6Metric> })?.metrics;
  if (!metrics || typeof metrics !== 'object') throw malformed('it has no "metrics" object');
  const scope = `scenario:${K6_MEASURED_SCENARIO}`;
  const duration = metrics[`http_req_duration{${scope}}`] ?? metrics.http_req_duration;
  const failed = metrics[`http_req_failed{${scope}}`] ?? metrics.http_req_failed;
  if (!duration) throw malformed('it has no http_req_duration metric (did the script send any request?)');
  const latencyMs = latencyOf(duration, 'http_req_duration');
  const requests = numberOf(duration, 'count', 'http_req_duration');
  const errorRate = failed ? numberOf(failed, 'value', 'http_req_failed') : 0;
  const errors = failed ? numberOf(failed, 'passes', 'http_req_failed') : 0;
  const dropped = metrics.dropped_iterations
    ? numberOf(metrics.dropped_iterations, 'count', 'dropped_iterations')
    : 0;
  const scenarios: LoadScenarioSummary[] = [];
  if (info.requestNames.length > 1) {
    for (const name of info.requestNames) {
      const d = metrics[`http_req_duration{${scope},${K6_REQUEST_TAG}:${name}}`];
      const f = metrics[`http_req_failed{${scope},${K6_REQUEST_TAG}:${name}}`];
      if (!d) continue;
      const n = numberOf(d, 'count', name);
      scenarios.push({
        name,
        requests: n,
        errors: f ? numberOf(f, 'passes', name) : 0,
        errorRate: f ? numberOf(f, 'value', name) : 0,
        latencyMs: latencyOf(d, name),
      });
    }
  }
  return {
    engine: 'k6',
    model: info.model,
    profile: info.profile,
    target: info.target,
    requests,
    rps: info.durationMs > 0 ? Math.round((requests / (info.durationMs / 1000)) * 10) / 10 : 0,
    errors,
    errorRate,
    dropped,
    durationMs: info.durationMs,
    latencyMs,
    statusCodes: {},
    ...(scenarios.length ? { scenarios } : {}),
  };
}

function latencyOf(metric: K6Metric, what: string): LatencySummary {
  const n = (key: string) => Math.round(numberOf(metric, key, what) * 1000) / 1000;
  return {
    min: n('min'),
    mean: n('avg'),
    p50: n('p(50)'),
    p90: n('p(90)'),
    p95: n('p(95)'),
    p99: n('p(99)'),
    p999: n('p(99.9)'),
    max: n('max'),
  };
}

function numberOf(metric: K6Metric, key: string, what: string): number {
  const value = metric[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw malformed(`${what} has no numeric "${key}" (is summaryTrendStats missing it?)`);
  }
  return value;
}

function malformed(why: string): EnvironmentError {
  return new EnvironmentError('process', `k6 wrote a summary opsproof cannot read: ${why}`, {
    hint: 'check the k6 version (opsproof pins v1.8.1) and the script output above',
  });
}

/**
 * How long k6's test run lasted (ms), from the summary: `http_reqs` count ÷ rate, where k6 computes the
 * rate over its own run time. Unlike a wall clock around the k6 process it leaves out k6's start-up
 * (load/README.md, "k6 run time"), which counts when a run is cut short. `undefined` when the summary cannot say (no request sent, or not a summary).
 */
export function k6RunDurationMs(text: string): number | undefined {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return undefined;
  }
  const reqs = (root as { metrics?: { http_reqs?: K6Metric } } | null)?.metrics?.http_reqs;
  const count = reqs?.count;
  const rate = reqs?.rate;
  if (typeof count !== 'number' || typeof rate !== 'number') return undefined;
  if (!(count > 0 && rate > 0 && Number.isFinite(count / rate))) return undefined;
  return (count / rate) * 1000;
}
