import { formatDuration, parseDurationStrict } from '../core/duration.ts';
import type { LoadProfile } from '../core/schema.ts';
import type { Threshold } from '../core/threshold.ts';
import { buildRateSegments, type RateSegment } from './build-arrival-schedule.ts';

/** The k6 scenario whose requests are measured (the warm-up runs as its own scenario before it). */
export const K6_MEASURED_SCENARIO = 'measured';
/** Tag naming the request of the mix, for per-request submetrics. */
export const K6_REQUEST_TAG = 'request';

/** Trend stats k6 puts in its summary: every percentile opsproof reports, plus the KPIs' own. */
function buildSummaryTrendStats(thresholds: readonly Threshold[]): string[] {
  const stats = ['min', 'avg', 'med', 'max', 'count', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)'];
  for (const t of thresholds) {
    if (t.aggregate.kind === 'percentile' && !stats.includes(`p(${t.aggregate.p})`))
      stats.push(`p(${t.aggregate.p})`);
  }
  return stats;
}

/**
 * k6 threshold options for the KPIs. Latency and error thresholds apply to the measured scenario's
 * submetrics (so warm-up does not count) and per request of the mix; `rps` maps to `http_reqs` rate
 * (only without warm-up: k6's rate divides by the whole test); `dropped_iterations` must stay 0 for an
 * arrival rate. Every run also gets always-true thresholds on the measured submetrics, because k6
 * only puts a submetric in its summary when a threshold names it.
 */
function buildK6Thresholds(profile: LoadProfile, thresholds: readonly Threshold[]): Record<string, string[]> {
  const scope = `scenario:${K6_MEASURED_SCENARIO}`;
  const latency: string[] = [];
  const errors: string[] = [];
  const reqs: string[] = [];
  for (const t of thresholds) {
    const { kind } = t.aggregate;
    const op = t.operator;
    if (kind === 'percentile') latency.push(`p(${(t.aggregate as { p: number }).p})${op}${t.value}`);
    else if (kind === 'avg' || kind === 'min' || kind === 'max' || kind === 'med')
      latency.push(`${kind}${op}${t.value}`);
    else if (kind === 'rate') errors.push(`rate${op}${t.value}`);
    else if (kind === 'count') reqs.push(`count${op}${t.value}`);
    else if (kind === 'rps' && parseDurationStrict(profile.warmup) === 0) reqs.push(`rate${op}${t.value}`);
  }
  const out: Record<string, string[]> = {
    [`http_req_duration{${scope}}`]: latency.length ? latency : ['max>=0'],
    [`http_req_failed{${scope}}`]: errors.length ? errors : ['rate<=1'],
  };
  if (reqs.length) out[`http_reqs{${scope}}`] = reqs;
  const names = profile.requests.map((r) => r.name ?? `${r.method} ${r.path}`);
  if (names.length > 1) {
    for (const name of names) {
      out[`http_req_duration{${scope},${K6_REQUEST_TAG}:${name}}`] = latency.length ? latency : ['max>=0'];
      out[`http_req_failed{${scope},${K6_REQUEST_TAG}:${name}}`] = errors.length ? errors : ['rate<=1'];
    }
  }
  if (profile.model === 'open') out.dropped_iterations = ['count==0'];
  return out;
}

type K6Scenario = Record<string, unknown>;

/** k6 scenarios: warm-up then measured, arrival-rate executors for the open model, constant VUs for closed. */
export function buildK6Scenarios(profile: LoadProfile): Record<string, K6Scenario> {
  const warmupMs = parseDurationStrict(profile.warmup, 'warmup');
  if (profile.model === 'closed') {
    const vus = profile.connections ?? 1;
    const measured = {
      executor: 'constant-vus',
      vus,
      duration: formatDuration(parseDurationStrict(profile.duration)),
      ...(warmupMs > 0 ? { startTime: formatDuration(warmupMs) } : {}),
    };
    return warmupMs > 0
      ? {
          warmup: { executor: 'constant-vus', vus, duration: formatDuration(warmupMs) },
          [K6_MEASURED_SCENARIO]: measured,
        }
      : { [K6_MEASURED_SCENARIO]: measured };
  }
  const { segments } = buildRateSegments(profile);
  const [before, after] = splitSegments(segments, warmupMs);
  const peak = Math.max(...segments.flatMap((s) => [s.from, s.to]));
  // One VU carries one request at a time, so maxVUs is the in-flight cap; beyond it k6 counts
  // dropped_iterations, as opsproof counts `dropped`. The profile's `connections` are the VUs to
  // start with, as they are the open engine's starting connections.
  const vus = {
    preAllocatedVUs: Math.min(profile.maxInFlight, profile.connections ?? Math.max(10, Math.ceil(peak / 5))),
    maxVUs: profile.maxInFlight,
  };
  const scenario = (parts: RateSegment[], startMs: number): K6Scenario => {
    const constant = parts.length === 1 && parts[0]!.from === parts[0]!.to;
    const start = startMs > 0 ? { startTime: formatDuration(startMs) } : {};
    if (constant) {
      return {
        executor: 'constant-arrival-rate',
        rate: parts[0]!.from,
        timeUnit: '1s',
        duration: formatDuration(parts[0]!.durationMs),
        ...vus,
        ...start,
      };
    }
    return {
      executor: 'ramping-arrival-rate',
      startRate: parts[0]!.from,
      timeUnit: '1s',
      stages: parts.map((s) => ({ duration: formatDuration(s.durationMs), target: s.to })),
      ...vus,
      ...start,
    };
  };
  const out: Record<string, K6Scenario> = {};
  if (before.length) out.warmup = scenario(before, 0);
  out[K6_MEASURED_SCENARIO] = scenario(after, warmupMs);
  return out;
}

/** Splits rate segments at `atMs`, interpolating the rate at the cut. */
function splitSegments(segments: readonly RateSegment[], atMs: number): [RateSegment[], RateSegment[]] {
  const before: RateSegment[] = [];
  const after: RateSegment[] = [];
  let t = 0;
  for (const s of segments) {
    const end = t + s.durationMs;
    if (end <= atMs) before.push(s);
    else if (t >= atMs) after.push(s);
    else {
      const cut = atMs - t;
      const mid = s.from + ((s.to - s.from) * cut) / s.durationMs;
      before.push({ durationMs: cut, from: s.from, to: mid });
      after.push({ durationMs: s.durationMs - cut, from: mid, to: s.to });
    }
    t = end;
  }
  return [before, after];
}

/**
 * A k6 TypeScript script (k6 ≥ 1.0 runs `.ts` natively; typed with @types/k6) for a profile: the
 * same arrival rate, mix, warm-up, in-flight cap and KPIs as `opsproof load run`. The target comes
 * from `-e TARGET=…` and extra headers from `-e OPSPROOF_HEADERS='{"…":"…"}'`, so secrets are never
 * written into the script.
 */
export function buildK6Script(
  profile: LoadProfile,
  options: { name: string; thresholds: readonly Threshold[]; target?: string },
): string {
  const requests = profile.requests.map((r) => ({
    name: r.name ?? `${r.method} ${r.path}`,
    method: r.method,
    path: r.path,
    headers: {
      ...(r.body !== undefined && typeof r.body !== 'string' ? { 'content-type': 'application/json' } : {}),
      ...(r.headers ?? {}),
    },
    body: r.body === undefined ? null : typeof r.body === 'string' ? r.body : JSON.stringify(r.body),
    expectStatus: r.expectStatus === undefined ? null : [r.expectStatus].flat(),
    weight: r.weight,
  }));
  const optionsValue = {
    scenarios: buildK6Scenarios(profile),
    thresholds: buildK6Thresholds(profile, options.thresholds),
    summaryTrendStats: buildSummaryTrendStats(options.thresholds),
  };
  const json = (v: unknown) => JSON.stringify(v, null, 2);
  return `// Generated by \`opsproof load k6 ${options.name}\` from the suite's load profile "${options.name}".
// Run locally:   k6 run -e TARGET=https://your-service ${options.name}.k6.ts
// Distributed:   see load/README.md (k6-operator TestRun, Grafana Cloud k6).
import http from 'k6/http';
import type { Options } from 'k6/options';

interface LoadRequest {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  expectStatus: number[] | null;
  weight: number;
}

const TARGET: string = (__ENV.TARGET || ${JSON.stringify(options.target ?? 'http://127.0.0.1:8080')}).replace(/\\/$/, '');
const EXTRA_HEADERS: Record<string, string> = JSON.parse(__ENV.OPSPROOF_HEADERS || '{}');

const REQUESTS: LoadRequest[] = ${json(requests)};
const TOTAL_WEIGHT = REQUESTS.reduce((sum, r) => sum + r.weight, 0);
const EXPECTED = REQUESTS.map((r) =>
  r.expectStatus ? http.expectedStatuses(...r.expectStatus) : http.expectedStatuses({ min: 200, max: 399 }),
);

export const options: Options = ${json(optionsValue)};

function pick(): number {
  let x = Math.random() * TOTAL_WEIGHT;
  for (let i = 0; i < REQUESTS.length; i++) {
    x -= REQUESTS[i].weight;
    if (x < 0) return i;
  }
  return REQUESTS.length - 1;
}

export default function (): void {
  const i = pick();
  const r = REQUESTS[i];
  http.request(r.method, TARGET + r.path, r.body, {
    headers: { ...EXTRA_HEADERS, ...r.headers, 'x-correlation-id': \`k6-\${__VU}-\${__ITER}-\${Date.now()}\` },
    tags: { ${K6_REQUEST_TAG}: r.name },
    responseCallback: EXPECTED[i],
  });
}
`;
}
