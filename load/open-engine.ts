/**
 * The open-model load engine (undici): arrivals on schedule, the connection limit, send lag, the
 * deadline sweep and per-second ticks. One file, over 400 lines, because they all run in one hot loop
 * and share its state and its clock (load/README.md, "Connections and send lag"); the pool, the slots
 * and the histograms are already files of their own.
 */

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
import { buildArrivalSchedule, buildRateSegments } from './build-arrival-schedule.ts';
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

/**
 * Connections the open model may always open, unless the profile says (`connections`). Beyond them
 * an arrival that finds no idle connection opens one while the pool holds fewer than
 * `LITTLE_HEADROOM` × what the rate needs by Little's law (rate × latency on the wire, see
 * `connectionLimit`), up to `maxInFlight`.
 */
const BASE_CONNECTIONS = 64;
/**
 * A healthy target, however slow, never holds more than rate × its latency, so twice that never
 * makes its requests wait. A burst of arrivals after a pause of the generator itself does wait: at
 * high rates, opening a connection for each of the hundreds due at once cost more than it saved
 * and filled the heap (load/README.md, "Memory").
 */
const LITTLE_HEADROOM = 2;
/**
 * Arrivals left waiting for a connection get new ones once no connection has freed up for this long
 * (the generator's own lateness left out): then the target holds them — a slow start, a stall, a
 * latency fault the recent latency does not show yet — and a burst the open ones would clear is over.
 */
const QUIET_MS = 5;
/** Runs at this rate or more (and closed-model runs) favour a small heap (`small-heap.ts`). */
const SMALL_HEAP_MIN_RATE = 2000;
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
 * from the start of the run, whatever the server does; an arrival that finds no idle connection gets
 * a new one at once (up to `maxInFlight`), so a slow or stalling server holds as many requests as
 * arrive while it is slow, and each latency includes its slowness (no coordinated omission).
 * Latency is measured from when the request went on the wire; the generator's own lag (intended
 * send time → on the wire: a late timer, connecting, a late arrival waiting for a connection) is
 * recorded apart (`sendLagMs`). When `maxInFlight` requests are outstanding, further arrivals are
 * counted as `dropped`, not queued.
 * Closed model: `connections` loops send back-to-back (capacity runs; latency is from the wire).
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
    idleTimeoutMs: IDLE_CONNECTION_MS,
    client: {
      // undici's own header/body timeouts are off: each request would set one of its FastTimers, which
      // stay referenced for up to a second after they are cleared, so at high rates they and what
      // they hold were promoted to the old generation (load/README.md, "Memory"). The deadline sweep
      // below bounds every request instead.
      headersTimeout: 0,
      bodyTimeout: 0,
      connectTimeout: Math.min(timeoutMs, 10_000),
      keepAliveTimeout: 30_000,
    },
  });
  const nextId = createCorrelationIds();
  // The first undici request in a process compiles llhttp (WebAssembly) and runs cold code, during
  // which an open model at thousands of req/s piles up arrivals that then each open a connection.
  // Warm the client up against a throwaway loopback server, never the target.
  await warmUpHttpClient();
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  let inFlight = 0;
  let stopped = false;
  let onIdle: (() => void) | undefined;
  /** Requests on the wire, for the deadline sweep (no per-request timer; not a Set, see there). */
  const exchanges = new InFlightSlots<Exchange>();
  /** Latency on the wire of the requests completed since the last sweep, and their mean before it. */
  let latencySumMs = 0;
  let latencyCount = 0;
  let recentLatencyMs = 0;
  const baseConnections = profile.connections ?? BASE_CONNECTIONS;
  /**
   * Connections an arrival may open: what the rate needs with headroom, or the base. The latency is
   * the recent mean or, if longer, the age of the oldest request on the wire (a slow target's first
   * answers have not come yet, but it already holds its requests that long) less how late the
   * generator runs (while its event loop stood still, every request on the wire aged with it).
   */
  function connectionLimit(now: number, lateMs: number, rate: number): number {
    let oldestWireAt = now;
    for (const exchange of exchanges) {
      if (exchange.wireAt >= 0 && exchange.wireAt < oldestWireAt) oldestWireAt = exchange.wireAt;
    }
    const latencyMs = Math.max(recentLatencyMs, now - oldestWireAt - lateMs);
    return Math.max(baseConnections, Math.ceil((LITTLE_HEADROOM * rate * latencyMs) / 1000));
  }

  /**
   * One request in flight and its undici handler (the classic API: raw values, no body stream, no
   * wrapper objects). A class, so a request costs one small object instead of a set of closures and
   * a timer: memory per request in flight is what bounds the engine when the target saturates.
   */
  class Exchange implements PooledExchange {
    /** Its slot in `exchanges` while on the wire. */
    slot = -1;
    /** When it went on the wire (ms from start; -1 until then). */
    wireAt = -1;
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
      /** When it was due (open) or sent (closed); its latency if it never reaches the wire. */
      readonly from: number,
      /** Open model: `from` is the intended send time, and wire − from is the generator's lag. */
      readonly open: boolean,
      readonly measured: boolean,
      /** Closed model: the loop's next iteration. */
      readonly then: (() => void) | undefined,
    ) {}
    onConnect(abort: (error: Error) => void): void {
      // The whole request is bounded from here (undici's own timeouts, off, would be idle timeouts that
      // a target trickling a byte now and then never trips); it ends as a timeout error.
      // undici calls this as it writes the request: latency starts here, like k6's
      // http_req_duration, so waiting for or opening a connection is never charged to the server.
      this.abortRequest = abort;
      this.wireAt = elapsed();
      this.deadline = this.wireAt + timeoutMs;
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
        const now = elapsed();
        const onWire = this.wireAt >= 0;
        if (onWire) {
          latencySumMs += now - this.wireAt;
          latencyCount += 1;
        }
        recorder.record(
          this.scenario,
          now - (onWire ? this.wireAt : this.from),
          outcome,
          success,
          this.measured,
        );
        if (this.open) recorder.sendLag(Math.max((onWire ? this.wireAt : now) - this.from, 0), this.measured);
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
    mayOpen: boolean,
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
      !closed,
      measured,
      then,
    );
    exchanges.add(exchange);
    try {
      pool.send(exchange, mayOpen);
    } catch (error) {
      // Report asynchronously so a closed loop cannot recurse on synchronous failures.
      setImmediate(() => exchange.finish((error as { code?: string }).code ?? 'error', false));
    }
  }

  /** Aborts requests past their deadline: one timer for the run instead of one per request. */
  const sweepEveryMs = Math.max(10, Math.min(100, timeoutMs / 10));
  const sweeper = setInterval(() => {
    pool.closeIdle();
    const now = elapsed();
    for (const exchange of exchanges) {
      if (exchange.deadline > now) continue;
      if (exchange.abortRequest) exchange.abortRequest(new RequestDeadlineError(timeoutMs));
      // Still waiting for a connection of ours (one being opened is bounded by connectTimeout).
      else if (!exchange.connection) exchange.finish('timeout', false);
    }
    if (latencyCount > 0) recentLatencyMs = latencySumMs / latencyCount;
    latencySumMs = 0;
    latencyCount = 0;
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
  // A small heap only where the memory is at stake: below this rate the trickle promoted to the old
  // generation is small, and the compacting collections the flag brings pause the generator long
  // enough to show in p99 (load/README.md, "Connections and send lag").
  const peakRate = closed
    ? Number.POSITIVE_INFINITY
    : Math.max(...buildRateSegments(profile).segments.flatMap((s) => [s.from, s.to]));
  const releaseSmallHeap = peakRate >= SMALL_HEAP_MIN_RATE ? smallHeap.hold() : () => {};
  try {
    if (closed) {
      warmupMs = parseDurationStrict(profile.warmup, 'warmup');
      endMs = warmupMs + parseDurationStrict(profile.duration, 'duration');
      await runClosedLoops(profile.connections!, endMs);
    } else {
      const schedule = buildArrivalSchedule(profile);
      warmupMs = schedule.warmupMs;
      endMs = schedule.totalMs;
      await runArrivals(schedule.next, schedule.rateAt, schedule.warmupMs);
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

  async function runArrivals(
    next: () => number | undefined,
    rateAt: (ms: number) => number,
    warmup: number,
  ): Promise<void> {
    let due = next();
    while (due !== undefined && !stopped) {
      const now = elapsed();
      // Arrivals that waited while no connection freed up wait on a slow target, not a burst.
      pool.openForWaiting(QUIET_MS, Math.max(now - due, 0));
      if (due > now + LOOKAHEAD_MS) {
        await sleep(Math.max(due - now - LOOKAHEAD_MS, 0));
        continue;
      }
      // Behind or on time: send every arrival that is due, in one batch.
      let batch = 0;
      /** The connection limit for this batch, computed when the first arrival needs it. */
      let limit = -1;
      while (due !== undefined && due <= now + LOOKAHEAD_MS && batch < MAX_BATCH) {
        // Sent early (within the lookahead): measure from the actual send, never from before it.
        const intended = due > now ? elapsed() : due;
        const measured = due >= warmup;
        if (inFlight >= profile.maxInFlight) recorder.drop(measured);
        else {
          const request = mix.pick();
          // Only an arrival that finds no idle connection needs the limit.
          let mayOpen = pool.idle > 0 || pool.size < baseConnections;
          if (!mayOpen) {
            if (limit < 0) limit = connectionLimit(now, Math.max(now - due, 0), rateAt(now));
            mayOpen = pool.size < limit;
          }
          send(request, scenarioIndex.get(request)!, intended, measured, mayOpen);
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
          send(request, scenarioIndex.get(request)!, sentAt, sentAt >= warmup, true, again);
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
