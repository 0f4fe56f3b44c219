import type { LoadScenarioSummary, LoadSummary } from '../core/run-result.ts';
import type { Timeline } from '../core/timeline.ts';
import {
  createHistogram,
  encodeHistogram,
  type LatencyHistogram,
  percentileMs,
  recordMs,
  summarizeHistogram,
} from './histogram.ts';

/** The per-second point of `LoadSummary.series` and of a `load.tick` event. */
export type LoadSeriesPoint = NonNullable<LoadSummary['series']>[number];

/** The longest per-second series kept (one day); beyond it, ticks are still emitted but not stored. */
const MAX_SERIES = 86_400;

/**
 * Collects what every engine measures into constant memory: one HDR histogram overall, one per
 * scenario, one for the current second; counters; status codes. Engines call `record` per response
 * and `tick` once a second; `finish` builds the LoadSummary.
 */
export interface LoadRecorder {
  /**
   * One finished request. `outcome` is the HTTP status, or an error code (`ECONNRESET`,
   * `UND_ERR_HEADERS_TIMEOUT`, …) when there was no response. `measured` is false during warm-up.
   */
  record(
    scenario: number,
    latencyMs: number,
    outcome: number | string,
    success: boolean,
    measured: boolean,
  ): void;
  /** An arrival not sent because the in-flight cap was reached. */
  drop(measured: boolean): void;
  /**
   * The generator's own lag for one request of an open model: from its intended send time to when it
   * went on the wire (ms). Kept apart from the latency, which starts on the wire.
   */
  sendLag(lagMs: number, measured: boolean): void;
  /** Closes the current second: emits `load.tick` and appends to the series. */
  tick(elapsedMs: number, inFlight: number, connections?: number): void;
  finish(info: { durationMs: number }): Omit<LoadSummary, 'engine' | 'model' | 'profile' | 'target'>;
  /** Frees the histograms (WebAssembly memory). */
  destroy(): void;
}

export function createLoadRecorder(options: {
  profile: string;
  scenarios: readonly string[];
  timeline?: Timeline;
}): LoadRecorder {
  const overall = createHistogram();
  const second = createHistogram();
  const perScenario = options.scenarios.map(() => ({ histogram: createHistogram(), requests: 0, errors: 0 }));
  const lag = createHistogram();
  const statusCodes: Record<string, number> = {};
  const series: LoadSeriesPoint[] = [];
  let requests = 0;
  let errors = 0;
  let dropped = 0;
  let secondRequests = 0;
  let secondErrors = 0;
  let secondDropped = 0;
  let lastTickMs = 0;

  return {
    record(scenario, latencyMs, outcome, success, measured) {
      recordMs(second, latencyMs);
      secondRequests += 1;
      if (!success) secondErrors += 1;
      if (!measured) return;
      requests += 1;
      if (!success) errors += 1;
      recordMs(overall, latencyMs);
      const s = perScenario[scenario];
      if (s) {
        s.requests += 1;
        if (!success) s.errors += 1;
        recordMs(s.histogram, latencyMs);
      }
      const key = String(outcome);
      statusCodes[key] = (statusCodes[key] ?? 0) + 1;
    },
    drop(measured) {
      secondDropped += 1;
      if (measured) dropped += 1;
    },
    sendLag(lagMs, measured) {
      if (measured) recordMs(lag, lagMs);
    },
    tick(elapsedMs, inFlight, connections) {
      const spanS = Math.max(elapsedMs - lastTickMs, 1) / 1000;
      lastTickMs = elapsedMs;
      const point = {
        t: Math.round(elapsedMs / 1000),
        rps: Math.round((secondRequests / spanS) * 10) / 10,
        errors: secondErrors,
        p50: percentileMs(second, 50),
        p99: percentileMs(second, 99),
      };
      if (series.length < MAX_SERIES) series.push(point);
      options.timeline?.emit({
        type: 'load.tick',
        profile: options.profile,
        second: point.t,
        rps: point.rps,
        errors: point.errors,
        p50: point.p50,
        p99: point.p99,
        inFlight,
        dropped: secondDropped,
        ...(connections === undefined ? {} : { connections }),
      });
      second.reset();
      secondRequests = 0;
      secondErrors = 0;
      secondDropped = 0;
    },
    finish({ durationMs }) {
      const scenarios: LoadScenarioSummary[] = options.scenarios.map((name, i) => {
        const s = perScenario[i]!;
        return {
          name,
          requests: s.requests,
          errors: s.errors,
          errorRate: s.requests ? s.errors / s.requests : 0,
          latencyMs: summarizeHistogram(s.histogram),
        };
      });
      return {
        requests,
        rps: durationMs > 0 ? Math.round((requests / (durationMs / 1000)) * 10) / 10 : 0,
        errors,
        errorRate: requests ? errors / requests : 0,
        dropped,
        durationMs: Math.round(durationMs),
        latencyMs: summarizeHistogram(overall),
        statusCodes,
        ...(scenarios.length > 1 ? { scenarios } : {}),
        histogram: encodeHistogram(overall),
        ...(lag.totalCount > 0
          ? {
              sendLagMs: {
                p50: percentileMs(lag, 50),
                p99: percentileMs(lag, 99),
                max: percentileMs(lag, 100),
              },
            }
          : {}),
        series,
      };
    },
    destroy() {
      for (const h of [overall, second, lag, ...perScenario.map((s) => s.histogram)]) destroyQuietly(h);
    },
  };
}

function destroyQuietly(histogram: LatencyHistogram): void {
  try {
    histogram.destroy();
  } catch {
    // Already destroyed.
  }
}
