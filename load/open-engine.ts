import { setImmediate as yieldToIo } from 'node:timers/promises';
import { type Dispatcher, Pool } from 'undici';
import { parseDurationStrict } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import type { LoadSummary } from '../core/run-result.ts';
import type { LoadProfile } from '../core/schema.ts';
import type { Timeline } from '../core/timeline.ts';
import { buildArrivalSchedule } from './build-arrival-schedule.ts';
import {
  buildRequestMix,
  CORRELATION_HEADER,
  createCorrelationIds,
  type PreparedRequest,
} from './build-request-mix.ts';
import { createLoadRecorder } from './create-load-recorder.ts';
import { initHistograms } from './histogram.ts';

export interface EngineOptions {
  /** Base URL; request paths are appended to it. */
  target: string;
  timeline?: Timeline;
  signal?: AbortSignal;
  /** Headers added to every request (the environment's). */
  headers?: Record<string, string>;
  /** Profile name for events and the summary. @defaultValue 'adhoc' */
  name?: string;
}

/** A request that did not complete within the profile's `timeout` (outcome code `timeout`). */
class RequestDeadlineError extends Error {
  readonly code = 'timeout';
  constructor(timeoutMs: number) {
    super(`request did not complete within ${timeoutMs} ms`);
  }
}

/** At most this many arrivals are sent per timer tick before yielding to I/O, when far behind. */
const MAX_BATCH = 512;
/**
 * Node's timers fire about 1 ms late, which an open model would (correctly, but needlessly) count as
 * latency. The scheduler wakes this much early and sends what is due within it; such a request's
 * latency is measured from its actual send, never from before it was sent.
 */
const LOOKAHEAD_MS = 1;

/**
 * The in-process engine (undici). Open model: requests are sent at their intended times computed
 * from the start of the run, whatever the server does, and each latency is measured from the
 * INTENDED send time — a request the generator sent late because it was behind still counts the
 * wait, so a stalling server cannot hide its stalls (no coordinated omission). When `maxInFlight`
 * requests are outstanding, further arrivals are counted as `dropped`, not queued.
 * Closed model: `connections` loops send back-to-back (capacity runs; latency is from the actual
 * send, which is what a closed model can honestly say).
 */
export async function runOpenEngine(profile: LoadProfile, options: EngineOptions): Promise<LoadSummary> {
  await initHistograms();
  const name = options.name ?? 'adhoc';
  const base = new URL(options.target);
  const basePath = base.pathname.replace(/\/$/, '');
  const timeoutMs = parseDurationStrict(profile.timeout, 'timeout');
  const mix = buildRequestMix(profile.requests, options.headers);
  const scenarioIndex = new Map(mix.requests.map((r, i) => [r, i]));
  const recorder = createLoadRecorder({
    profile: name,
    scenarios: mix.requests.map((r) => r.name),
    timeline: options.timeline,
  });
  const closed = profile.model === 'closed';
  if (closed && !profile.connections) {
    throw new UsageError('a closed-model profile needs connections (e.g. --connections 50)');
  }
  const pool = new Pool(base.origin, {
    connections: closed ? profile.connections! : profile.maxInFlight,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: Math.min(timeoutMs, 10_000),
    keepAliveTimeout: 30_000,
  });
  const nextId = createCorrelationIds();
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  let inFlight = 0;
  let stopped = false;
  let onIdle: (() => void) | undefined;

  /** Sends one request; calls back with its completion time and outcome. Never rejects. */
  function send(request: PreparedRequest, done: (outcome: number | string, success: boolean) => void): void {
    inFlight += 1;
    let status = 0;
    let settled = false;
    // undici's headersTimeout/bodyTimeout are idle timeouts: a target trickling a byte now and then
    // never trips them. This deadline bounds the whole request, so it ends as a timeout error.
    let deadline: NodeJS.Timeout | undefined;
    // undici's classic handler API: the least overhead per request (no body stream, data discarded).
    const handler: Dispatcher.DispatchHandler = {
      onConnect(abort) {
        deadline = setTimeout(() => abort(new RequestDeadlineError(timeoutMs)), timeoutMs);
      },
      onHeaders(statusCode) {
        status = statusCode;
        return true;
      },
      onData() {
        return true;
      },
      onComplete() {
        finish(status, request.isSuccess(status));
      },
      onError(error) {
        finish((error as { code?: string }).code ?? 'error', false);
      },
    };
    const finish = (outcome: number | string, success: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      inFlight -= 1;
      if (!stopped) done(outcome, success);
      if (inFlight === 0) onIdle?.();
    };
    try {
      pool.dispatch(
        {
          origin: base.origin,
          path: basePath + request.path,
          method: request.method,
          headers: [...request.headers, CORRELATION_HEADER, nextId()],
          body: request.body ?? null,
        },
        handler,
      );
    } catch (error) {
      // Report asynchronously so a closed loop cannot recurse on synchronous failures.
      setImmediate(() => finish((error as { code?: string }).code ?? 'error', false));
    }
  }

  const ticker = setInterval(() => recorder.tick(elapsed(), inFlight), 1000);
  const abort = () => {
    stopped = true;
    wake?.();
  };
  let wake: (() => void) | undefined;
  options.signal?.addEventListener('abort', abort, { once: true });

  let endMs: number;
  let warmupMs: number;
  try {
    if (closed) {
      warmupMs = parseDurationStrict(profile.warmup, 'warmup');
      endMs = warmupMs + parseDurationStrict(profile.duration, 'duration');
      await runClosedLoops(profile.connections!, endMs);
    } else {
      const schedule = buildArrivalSchedule(profile);
      warmupMs = schedule.warmupMs;
      endMs = schedule.totalMs;
      await runArrivals(schedule.next, schedule.warmupMs);
    }
    // Let what is in flight finish, bounded by the request timeout.
    if (inFlight > 0 && !stopped) {
      await new Promise<void>((resolve) => {
        onIdle = resolve;
        wake = resolve;
        setTimeout(resolve, timeoutMs + 1000).unref();
      });
    }
    const durationMs = Math.max(Math.min(elapsed(), endMs) - warmupMs, 0);
    recorder.tick(elapsed(), inFlight);
    if (options.signal?.aborted) throw options.signal.reason;
    return {
      engine: 'open',
      model: closed ? 'closed' : 'open',
      profile: name,
      target: options.target,
      ...recorder.finish({ durationMs: closed ? durationMs : endMs - warmupMs }),
    };
  } finally {
    stopped = true;
    clearInterval(ticker);
    options.signal?.removeEventListener('abort', abort);
    await pool.destroy().catch(() => {});
    recorder.destroy();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function runArrivals(next: () => number | undefined, warmup: number): Promise<void> {
    let due = next();
    while (due !== undefined && !stopped) {
      const now = elapsed();
      if (due > now + LOOKAHEAD_MS) {
        await sleep(Math.max(due - now - LOOKAHEAD_MS, 0));
        continue;
      }
      // Behind or on time: send every arrival that is due, in one batch.
      let batch = 0;
      while (due !== undefined && due <= now + LOOKAHEAD_MS && batch < MAX_BATCH) {
        // Sent early (within the lookahead): measure from the actual send, never from before it.
        const intended = due > now ? elapsed() : due;
        const measured = due >= warmup;
        if (inFlight >= profile.maxInFlight) recorder.drop(measured);
        else {
          const request = mix.pick();
          const scenario = scenarioIndex.get(request)!;
          send(request, (outcome, success) =>
            recorder.record(scenario, elapsed() - intended, outcome, success, measured),
          );
        }
        batch += 1;
        due = next();
      }
      if (batch >= MAX_BATCH) await yieldToIo();
    }
  }

  function runClosedLoops(connections: number, end: number): Promise<void> {
    const warmup = warmupMs;
    const loop = () =>
      new Promise<void>((resolve) => {
        const again = () => {
          const sentAt = elapsed();
          if (stopped || sentAt >= end) return resolve();
          const request = mix.pick();
          const scenario = scenarioIndex.get(request)!;
          send(request, (outcome, success) => {
            recorder.record(scenario, elapsed() - sentAt, outcome, success, sentAt >= warmup);
            again();
          });
        };
        // Resolve on abort too: `send` stops calling back once stopped.
        const onStop = () => resolve();
        options.signal?.addEventListener('abort', onStop, { once: true });
        again();
      });
    return Promise.all(Array.from({ length: connections }, loop)).then(() => {});
  }
}
