import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { type Dispatcher, Pool } from 'undici';
import { parseDurationStrict } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import type { LoadSummary } from '../core/run-result.ts';
import type { LoadProfile } from '../core/schema.ts';
import type { Timeline } from '../core/timeline.ts';
import { whenAborted } from '../core/when-aborted.ts';
import { buildArrivalSchedule } from './build-arrival-schedule.ts';
import {
  buildRequestMix,
  CORRELATION_HEADER,
  createCorrelationIds,
  type PreparedRequest,
} from './build-request-mix.ts';
import { type Connection, ConnectionPool, type PooledExchange } from './connection-pool.ts';
import { createLoadRecorder } from './create-load-recorder.ts';
import { initHistograms } from './histogram.ts';
import { InFlightSlots } from './in-flight-slots.ts';
import { interruptedLoad } from './load-interrupted-error.ts';
import { smallHeap } from './small-heap.ts';

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

/** Connections opened at once when requests wait for one (see load/connection-pool.ts). */
const MAX_CONNECTING = 16;
/**
 * Connections the open model may use before the pool has seen that more raise throughput
 * (load/connection-limit.ts), unless the profile says (`connections`); it grows from there up to
 * `maxInFlight`.
 */
const INITIAL_CONNECTIONS = 64;
/** An idle connection is closed after this long, so a burst's connections do not stay for the run. */
const IDLE_CONNECTION_MS = 10_000;
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
  const pool = new ConnectionPool(base.origin, {
    maxConnections: closed ? profile.connections! : profile.maxInFlight,
    initialConnections: closed ? profile.connections! : (profile.connections ?? INITIAL_CONNECTIONS),
    maxConnecting: closed ? profile.connections! : MAX_CONNECTING,
    idleTimeoutMs: IDLE_CONNECTION_MS,
    client: {
      // undici's own header/body timeouts are off: each request would set one of its FastTimers, which
      // stay referenced for up to a second after they are cleared, so at 30 000 req/s they and what
      // they hold were promoted to the old generation (~500 B per request). The deadline sweep below
      // bounds every request instead.
      headersTimeout: 0,
      bodyTimeout: 0,
      connectTimeout: Math.min(timeoutMs, 10_000),
      keepAliveTimeout: 30_000,
    },
  });
  const nextId = createCorrelationIds();
  // The first undici request in a process compiles llhttp (WebAssembly) and runs cold code: ~25 ms
  // here, during which an open model at thousands of req/s piles up arrivals that then each open a
  // connection. Warm the client up against a throwaway loopback server, never the target.
  await warmUpHttpClient();
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  let inFlight = 0;
  let stopped = false;
  let onIdle: (() => void) | undefined;
  /** Requests on the wire, for the deadline sweep (no per-request timer; not a Set, see there). */
  const exchanges = new InFlightSlots<Exchange>();

  /**
   * One request in flight and its undici handler (the classic API: raw values, no body stream, no
   * wrapper objects). A class, so a request costs one small object instead of a set of closures and
   * a timer: memory per request in flight is what bounds the engine when the target saturates.
   */
  class Exchange implements PooledExchange {
    /** Its slot in `exchanges` while on the wire. */
    slot = -1;
    status = 0;
    settled = false;
    connection: Connection | undefined = undefined;
    /** Deadline (ms from start): `timeout` after it goes on the wire, or after it started waiting. */
    deadline = elapsed() + timeoutMs;
    abortRequest: ((error: Error) => void) | undefined = undefined;
    constructor(
      readonly dispatchOptions: Dispatcher.DispatchOptions,
      readonly request: PreparedRequest,
      readonly scenario: number,
      /** Latency is measured from here: the intended send time (open) or the actual send (closed). */
      readonly from: number,
      readonly measured: boolean,
      /** Closed model: the loop's next iteration. */
      readonly then: (() => void) | undefined,
    ) {}
    onConnect(abort: (error: Error) => void): void {
      // The whole request is bounded from here (undici's own timeouts, off, would be idle timeouts that
      // a target trickling a byte now and then never trips); it ends as a timeout error.
      this.abortRequest = abort;
      this.deadline = elapsed() + timeoutMs;
    }
    onHeaders(statusCode: number): boolean {
      this.status = statusCode;
      return true;
    }
    onData(): boolean {
      return true;
    }
    onComplete(): void {
      this.finish(this.status, this.request.isSuccess(this.status));
    }
    onError(error: Error): void {
      this.finish((error as { code?: string }).code ?? 'error', false);
    }
    finish(outcome: number | string, success: boolean): void {
      if (this.settled) return;
      this.settled = true;
      exchanges.delete(this);
      pool.release(this);
      inFlight -= 1;
      if (!stopped) {
        recorder.record(this.scenario, elapsed() - this.from, outcome, success, this.measured);
        this.then?.();
      }
      if (inFlight === 0) onIdle?.();
    }
  }

  /** Sends one request; its Exchange records the outcome. Never throws. */
  function send(
    request: PreparedRequest,
    scenario: number,
    from: number,
    measured: boolean,
    then?: () => void,
  ): void {
    inFlight += 1;
    const exchange = new Exchange(
      {
        origin: base.origin,
        path: basePath + request.path,
        method: request.method,
        headers: [...request.headers, CORRELATION_HEADER, nextId()],
        body: request.body ?? null,
      },
      request,
      scenario,
      from,
      measured,
      then,
    );
    exchanges.add(exchange);
    try {
      pool.send(exchange);
    } catch (error) {
      // Report asynchronously so a closed loop cannot recurse on synchronous failures.
      setImmediate(() => exchange.finish((error as { code?: string }).code ?? 'error', false));
    }
  }

  /** Aborts requests past their deadline: one timer for the run instead of one per request. */
  const sweepEveryMs = Math.max(10, Math.min(100, timeoutMs / 10));
  const sweeper = setInterval(() => {
    pool.closeIdle();
    pool.adjust();
    if (exchanges.size === 0) return;
    const now = elapsed();
    for (const exchange of exchanges) {
      if (exchange.deadline > now) continue;
      if (exchange.abortRequest) exchange.abortRequest(new RequestDeadlineError(timeoutMs));
      // Still waiting for a connection of ours (one being opened is bounded by connectTimeout).
      else if (!exchange.connection) exchange.finish('timeout', false);
    }
  }, sweepEveryMs);

  const ticker = setInterval(() => recorder.tick(elapsed(), inFlight, pool.size), 1000);
  const abort = () => {
    stopped = true;
    wake?.();
  };
  let wake: (() => void) | undefined;
  const unsubscribe = whenAborted(options.signal, abort);

  let endMs: number;
  let warmupMs: number;
  const releaseSmallHeap = smallHeap.hold();
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
    recorder.tick(elapsed(), inFlight, pool.size);
    const aborted = options.signal?.aborted === true;
    const summary: LoadSummary = {
      engine: 'open',
      model: closed ? 'closed' : 'open',
      profile: name,
      target: options.target,
      // The open model ran its schedule to the end unless stopped; the closed model, until its loops ended.
      ...recorder.finish({ durationMs: closed || aborted ? durationMs : endMs - warmupMs }),
    };
    // Requests still in flight when stopped are left out: they have no latency to count.
    if (aborted) throw interruptedLoad(options.signal!.reason, summary);
    return summary;
  } finally {
    stopped = true;
    clearInterval(ticker);
    clearInterval(sweeper);
    unsubscribe();
    await pool.destroy().catch(() => {});
    recorder.destroy();
    releaseSmallHeap();
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
          send(request, scenarioIndex.get(request)!, intended, measured);
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
        let unsubscribe = () => {};
        const done = () => {
          unsubscribe();
          resolve();
        };
        const again = () => {
          const sentAt = elapsed();
          if (stopped || sentAt >= end) return done();
          const request = mix.pick();
          send(request, scenarioIndex.get(request)!, sentAt, sentAt >= warmup, again);
        };
        // Resolve on abort too: `send` stops calling back once stopped.
        unsubscribe = whenAborted(options.signal, done);
        again();
      });
    return Promise.all(Array.from({ length: connections }, loop)).then(() => {});
  }
}

let warmedUp: Promise<void> | undefined;

/**
 * Once per process: a few requests through a throwaway undici Pool to a throwaway loopback server, so
 * llhttp's WebAssembly is compiled and undici's paths are warm before a run's clock starts. Best
 * effort: any failure just leaves the client cold.
 */
function warmUpHttpClient(): Promise<void> {
  warmedUp ??= (async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      res.end('ok');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 4 });
      try {
        for (let round = 0; round < 5; round++) {
          await Promise.all(
            Array.from({ length: 4 }, () =>
              pool.request({ path: '/', method: 'GET' }).then((r) => r.body.dump()),
            ),
          );
        }
      } finally {
        await pool.destroy();
      }
    } catch {
      // Warm-up is an optimisation only.
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  })();
  return warmedUp;
}
