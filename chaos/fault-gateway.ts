import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { type Dispatcher, Pool } from 'undici';
import { type Clock, systemClock } from '../core/clock.ts';
import { parseDuration } from '../core/duration.ts';
import { EnvironmentError, UsageError } from '../core/errors.ts';
import { isLoopbackHost } from '../core/loopback.ts';
import type { Timeline } from '../core/timeline.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { MetricDatum } from '../telemetry/types.ts';
import {
  buildGlob,
  checkFaultTtl,
  type FaultSpec,
  FaultSpecError,
  formatFaultSpec,
  parseFaultSpec,
} from './parse-fault-spec.ts';
import { passThrough } from './pass-through.ts';

export type { FaultSpec } from './parse-fault-spec.ts';
export { FaultSpecError, formatFaultSpec, parseFaultSpec } from './parse-fault-spec.ts';

/** Why a fault ended (the `fault.end` event's reason). */
export type FaultEndReason = 'completed' | 'ttl' | 'cleared' | 'stopped' | 'interrupted';

/** An active fault, as `faults()` and the control API show it. */
export interface Fault {
  id: string;
  /** Canonical SPEC string. */
  spec: string;
  fault: FaultSpec;
  ttlMs: number;
  createdAt: string;
  expiresAt: string;
  experiment?: string;
  action?: string;
  /** Requests that matched its `method` and `path` while it was active. */
  matchedRequests: number;
  /** Of those, the requests it was applied to (its `percent`; an earlier terminal fault wins). */
  injectedRequests: number;
  /** Every request the gateway served while it was active, matching or not. */
  seenRequests: number;
  /** The first distinct paths among those (at most {@link SEEN_PATHS_LIMIT}), to say what a fault missed. */
  seenPaths: string[];
  /** When it ended, for a fault that is no longer active. */
  endedAt?: string;
  endReason?: FaultEndReason;
}

/** How many distinct paths a fault keeps as its sample of what the gateway saw. */
export const SEEN_PATHS_LIMIT = 20;
/** How many ended faults the gateway still answers for (`fault(id)`, `GET /faults/:id`). */
const ENDED_FAULTS_KEPT = 100;

export interface AddFaultOptions {
  experiment?: string;
  action?: string;
}

export interface FaultGateway {
  /** URL clients use instead of the upstream's. */
  readonly url: string;
  /** Control API base URL (`GET/POST /faults`, `DELETE /faults/:id`, `POST /reset`). */
  readonly controlUrl: string;
  readonly upstream: string;
  /** Adds a fault that the gateway removes itself after `ttlMs` (default: the gateway's). */
  addFault(spec: string | FaultSpec, ttlMs?: number, options?: AddFaultOptions): Fault;
  /** Removes a fault; `false` when no such fault is active. */
  removeFault(id: string, reason?: FaultEndReason): boolean;
  /** Removes every fault; returns how many were active. */
  reset(reason?: FaultEndReason): number;
  faults(): Fault[];
  /**
   * An active fault, or one of the last ended ones with its final counts (`endedAt`, `endReason`):
   * how an engine learns what a fault it removed matched.
   */
  fault(id: string): Fault | undefined;
  /** Clears every fault, flushes metrics and closes both servers. */
  close(): Promise<void>;
}

export interface FaultGatewayOptions {
  /** The service behind the gateway, e.g. `http://127.0.0.1:8080`. */
  upstream: string;
  /** Where clients connect. @defaultValue 127.0.0.1, a free port */
  listen?: { host?: string; port?: number };
  /** Where the control API listens (loopback only). @defaultValue 127.0.0.1, a free port */
  control?: { host?: string; port?: number };
  /** Request metrics go here, API Gateway-shaped. */
  telemetry?: Telemetry;
  /** `fault.start` / `fault.end` go here. */
  timeline?: Timeline;
  /** TTL of faults added without one. @defaultValue 60_000 */
  defaultTtlMs?: number;
  /** `ApiName` dimension of the metrics. @defaultValue 'opsproof-demo' */
  apiName?: string;
  clock?: Clock;
  /** Metric batches are written this often. @defaultValue 250 */
  flushIntervalMs?: number;
  /** Refused by default: faults are for loopback services unless this is set. @defaultValue false */
  allowNonLoopbackUpstream?: boolean;
  /** Random source for percentages and jitter (tests). @defaultValue Math.random */
  random?: () => number;
  /**
   * Pass connections through unparsed while no fault is active (chaos/pass-through.ts); `false`
   * serves every request on the HTTP path. Always off for an upstream with a path prefix, over https or off loopback.
   * @defaultValue true
   */
  passThrough?: boolean;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * Cheap pre-filter on a header name's length: only names as long as a hop-by-hop header (or
 * content-length / transfer-encoding) are lower-cased and looked up.
 */
const HOP_BY_HOP_LENGTHS = new Set(
  [...HOP_BY_HOP, 'content-length', 'transfer-encoding'].map((h) => h.length),
);
function mayBeHopByHop(name: string): boolean {
  return HOP_BY_HOP_LENGTHS.has(name.length);
}

interface ActiveFault extends Omit<Fault, 'seenPaths'> {
  pathRe: RegExp | undefined;
  stopTtl: AbortController;
  seenPaths: Set<string>;
}

const kForward = Symbol('forward');
type ForwardedResponse = http.ServerResponse & {
  [kForward]?: { abortUpstream: ((error: Error) => void) | undefined };
};

/** Per-flush batch of API Gateway metrics: counts and a latency histogram of rounded values. */
class MetricBatch {
  count = 0;
  errors4xx = 0;
  errors5xx = 0;
  latency = new Map<number, number>();

  record(status: number, latencyMs: number): void {
    this.count++;
    if (status >= 500 || status === 0) this.errors5xx++;
    else if (status >= 400) this.errors4xx++;
    // 0.1 ms resolution keeps the map small and percentiles exact enough.
    const key = Math.round(latencyMs * 10) / 10;
    this.latency.set(key, (this.latency.get(key) ?? 0) + 1);
  }

  toData(dimensions: MetricDatum['Dimensions'], timestamp: Date): MetricDatum[] {
    const rate = (n: number): Pick<MetricDatum, 'Values' | 'Counts'> => {
      const values: number[] = [];
      const counts: number[] = [];
      if (this.count - n > 0) {
        values.push(0);
        counts.push(this.count - n);
      }
      if (n > 0) {
        values.push(1);
        counts.push(n);
      }
      return { Values: values, Counts: counts };
    };
    return [
      {
        MetricName: 'Count',
        Dimensions: dimensions,
        Timestamp: timestamp,
        Values: [1],
        Counts: [this.count],
        Unit: 'Count',
      },
      {
        MetricName: '4XXError',
        Dimensions: dimensions,
        Timestamp: timestamp,
        ...rate(this.errors4xx),
        Unit: 'Count',
      },
      {
        MetricName: '5XXError',
        Dimensions: dimensions,
        Timestamp: timestamp,
        ...rate(this.errors5xx),
        Unit: 'Count',
      },
      {
        MetricName: 'Latency',
        Dimensions: dimensions,
        Timestamp: timestamp,
        Values: [...this.latency.keys()],
        Counts: [...this.latency.values()],
        Unit: 'Milliseconds',
      },
    ];
  }
}

function listenOn(server: net.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new EnvironmentError('port-in-use', `${host}:${port} is already in use`, { cause: error })
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

function formatUrl(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new UsageError(`request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts the fault gateway: an HTTP reverse proxy in front of `upstream` that injects latency, HTTP
 * errors, connection resets and blackholes into a percentage of matching requests, records API
 * Gateway-shaped request metrics, and serves a Toxiproxy-like control API on a separate loopback port.
 * Every fault carries a TTL enforced here, so a controller that dies cannot leave a fault behind.
 */
export async function startFaultGateway(options: FaultGatewayOptions): Promise<FaultGateway> {
  let upstreamUrl: URL;
  try {
    upstreamUrl = new URL(options.upstream);
  } catch {
    throw new UsageError(`--upstream: expected an http URL, got ${JSON.stringify(options.upstream)}`);
  }
  if (upstreamUrl.protocol !== 'http:' && upstreamUrl.protocol !== 'https:')
    throw new UsageError(
      `--upstream: only http:// and https:// upstreams are supported, got ${upstreamUrl.protocol}`,
    );
  if (!options.allowNonLoopbackUpstream && !isLoopbackHost(upstreamUrl.hostname)) {
    throw new UsageError(`refusing a non-loopback upstream ${upstreamUrl.host}`, {
      hint: 'the fault gateway is for local targets; pass allowNonLoopbackUpstream to override',
    });
  }
  const controlHost = options.control?.host ?? '127.0.0.1';
  if (!isLoopbackHost(controlHost))
    throw new UsageError(`the control API must listen on loopback, got ${controlHost}`);

  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const defaultTtlMs = options.defaultTtlMs ?? 60_000;
  const apiName = options.apiName ?? 'opsproof-demo';
  const dimensions = [{ Name: 'ApiName', Value: apiName }];
  const upstreamPrefix = upstreamUrl.pathname === '/' ? '' : upstreamUrl.pathname.replace(/\/$/, '');
  // A TLS or remote upstream gets its own Host header (virtual hosts), so its requests take the HTTP
  // path: pass-through copies the client's bytes unchanged. A loopback http upstream keeps the client's.
  const upstreamHost =
    upstreamUrl.protocol === 'https:' || !isLoopbackHost(upstreamUrl.hostname) ? upstreamUrl.host : undefined;
  const pool = new Pool(upstreamUrl.origin, { connections: 256, keepAliveTimeout: 30_000 });

  const active = new Map<string, ActiveFault>();
  /** The last ended faults with their final counts, oldest first. */
  const ended = new Map<string, Fault>();
  /** Requests held by a blackhole, released (forwarded) when it ends. */
  const held = new Map<string, Set<() => void>>();
  let snapshot: ActiveFault[] = [];
  let batch = new MetricBatch();
  let gatewayUrl = '';

  const flush = async (): Promise<void> => {
    if (!options.telemetry || batch.count === 0) return;
    const full = batch;
    batch = new MetricBatch();
    try {
      await options.telemetry.putMetricData('AWS/ApiGateway', full.toData(dimensions, clock.wall()));
    } catch {
      // Metrics are best effort: a failing sink must not break the proxy.
    }
  };
  const flushTimer = options.telemetry ? setInterval(flush, options.flushIntervalMs ?? 250) : undefined;
  flushTimer?.unref();

  const endFault = (id: string, reason: FaultEndReason): boolean => {
    const fault = active.get(id);
    if (!fault) return false;
    active.delete(id);
    snapshot = [...active.values()];
    fault.stopTtl.abort();
    ended.set(id, { ...publicFault(fault), endedAt: clock.wall().toISOString(), endReason: reason });
    if (ended.size > ENDED_FAULTS_KEPT) ended.delete(ended.keys().next().value!);
    options.timeline?.emit({ type: 'fault.end', faultId: id, reason });
    const waiting = held.get(id);
    held.delete(id);
    for (const release of waiting ?? []) release();
    return true;
  };

  const addFault = (spec: string | FaultSpec, ttlMs = defaultTtlMs, meta: AddFaultOptions = {}): Fault => {
    const parsed = typeof spec === 'string' ? parseFaultSpec(spec) : spec;
    const ttlProblem = checkFaultTtl(ttlMs);
    if (ttlProblem) throw new UsageError(ttlProblem);
    const id = randomUUID().slice(0, 8);
    const now = clock.wall().getTime();
    const fault: ActiveFault = {
      id,
      spec: formatFaultSpec(parsed),
      fault: parsed,
      ttlMs,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ttlMs).toISOString(),
      ...(meta.experiment === undefined ? {} : { experiment: meta.experiment }),
      ...(meta.action === undefined ? {} : { action: meta.action }),
      matchedRequests: 0,
      injectedRequests: 0,
      seenRequests: 0,
      seenPaths: new Set(),
      pathRe: parsed.path === undefined || parsed.path === '*' ? undefined : buildGlob(parsed.path),
      stopTtl: new AbortController(),
    };
    active.set(id, fault);
    snapshot = [...active.values()];
    // The TTL lives here, not in whoever added the fault: a dead controller cannot leave it behind.
    clock.sleep(ttlMs, fault.stopTtl.signal).then(
      () => endFault(id, 'ttl'),
      () => {},
    );
    options.timeline?.emit({
      type: 'fault.start',
      faultId: id,
      spec: fault.spec,
      where: gatewayUrl,
      ...(meta.experiment === undefined ? {} : { experiment: meta.experiment }),
      ...(meta.action === undefined ? {} : { action: meta.action }),
    });
    return publicFault(fault);
  };

  const publicFault = (f: ActiveFault): Fault => {
    const { pathRe: _p, stopTtl: _s, seenPaths, ...rest } = f;
    return { ...rest, seenPaths: [...seenPaths] };
  };

  /**
   * One forwarded request: the undici handler (classic API — raw header arrays, no controller or
   * parsed-header objects per response) and its state in one object, with no per-request closures
   * beyond the client-gone listener.
   */
  /** One shared `close` listener (`this` is the response) instead of a closure per request. */
  function onClientGone(this: ForwardedResponse): void {
    if (!this.writableFinished) this[kForward]?.abortUpstream?.(new Error('client went away'));
  }

  class Forward implements Dispatcher.DispatchHandler {
    status = 502;
    abortUpstream: ((error: Error) => void) | undefined = undefined;
    /** Small bodies are collected and written with the headers in one `end()` (one syscall). */
    chunks: Buffer[] | undefined = undefined;
    size = 0;
    resume: (() => void) | undefined = undefined;
    constructor(
      readonly res: http.ServerResponse,
      readonly started: number,
    ) {}
    onConnect(abort: (error: Error) => void): void {
      this.abortUpstream = abort;
    }
    onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
      if (statusCode < 200) return true;
      this.status = statusCode;
      this.resume = resume;
      const headers: string[] = [];
      for (let i = 0; i < rawHeaders.length; i += 2) {
        const name = rawHeaders[i]!.toString('latin1');
        if (mayBeHopByHop(name) && HOP_BY_HOP.has(name.toLowerCase())) continue;
        headers.push(name, rawHeaders[i + 1]!.toString('latin1'));
      }
      this.res.writeHead(statusCode, headers);
      this.chunks = [];
      return true;
    }
    onData(chunk: Buffer): boolean {
      const chunks = this.chunks;
      if (chunks !== undefined) {
        this.size += chunk.length;
        chunks.push(chunk);
        if (this.size <= 65_536) return true;
        // Large body: stream from here on, with backpressure.
        for (const c of chunks) this.res.write(c);
        this.chunks = undefined;
        this.res.on('drain', () => this.resume?.());
        return true;
      }
      return this.res.write(chunk);
    }
    onComplete(): void {
      const { res, chunks } = this;
      if (chunks === undefined) res.end();
      else res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.size));
      batch.record(this.status, clock.now() - this.started);
    }
    onError(error: Error): void {
      const res = this.res;
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      batch.record(502, clock.now() - this.started);
      sendJson(res, 502, {
        message: 'Bad Gateway',
        error: (error as NodeJS.ErrnoException).code ?? error.message,
      });
    }
  }

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, started: number): void => {
    // Raw header pairs go to undici as they came (minus hop-by-hop): no per-request header objects.
    const raw = req.rawHeaders;
    const headers: string[] = [];
    let hasBody = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (mayBeHopByHop(name)) {
        const lower = name.toLowerCase();
        if (HOP_BY_HOP.has(lower)) continue;
        if (lower === 'content-length' || lower === 'transfer-encoding') hasBody = true;
      } else if (upstreamHost !== undefined && name.length === 4 && name.toLowerCase() === 'host') {
        headers.push(name, upstreamHost);
        continue;
      }
      headers.push(name, raw[i + 1]!);
    }
    const handler = new Forward(res, started);
    (res as ForwardedResponse)[kForward] = handler;
    res.on('close', onClientGone);
    pool.dispatch(
      {
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        path: upstreamPrefix + (req.url ?? '/'),
        headers,
        body: hasBody ? req : null,
      },
      handler,
    );
  };

  const proxy = http.createServer((req, res) => {
    const started = clock.now();
    const faults = snapshot;
    if (faults.length === 0) {
      forward(req, res, started);
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0]!;
    let delay = 0;
    let terminal: ActiveFault | undefined;
    for (const fault of faults) {
      // What each fault saw and matched: a fault that matched nothing must be able to say so.
      fault.seenRequests++;
      if (fault.seenPaths.size < SEEN_PATHS_LIMIT) fault.seenPaths.add(path.slice(0, 200));
      const f = fault.fault;
      if (f.method !== undefined && f.method !== req.method) continue;
      if (fault.pathRe && !fault.pathRe.test(path)) continue;
      fault.matchedRequests++;
      if (f.percent < 100 && random() * 100 >= f.percent) continue;
      if (f.kind === 'latency') {
        delay += Math.max(0, f.ms + (random() * 2 - 1) * f.jitter);
        fault.injectedRequests++;
      } else if (!terminal) {
        terminal = fault;
        fault.injectedRequests++;
      }
    }
    const apply = () => {
      if (!terminal) return forward(req, res, started);
      const f = terminal.fault;
      switch (f.kind) {
        case 'error': {
          const body =
            f.body ?? JSON.stringify({ message: http.STATUS_CODES[f.status] ?? 'Error', fault: terminal.id });
          res.writeHead(f.status, {
            'content-type': f.body === undefined ? 'application/json' : 'text/plain',
            'content-length': Buffer.byteLength(body),
            'x-opsproof-fault': terminal.id,
          });
          res.end(body);
          batch.record(f.status, clock.now() - started);
          return;
        }
        case 'reset':
          batch.record(0, clock.now() - started);
          req.socket.resetAndDestroy();
          return;
        case 'blackhole': {
          const id = terminal.id;
          let waiting = held.get(id);
          if (!waiting) {
            waiting = new Set();
            held.set(id, waiting);
          }
          const release = () => {
            if (!res.destroyed) forward(req, res, started);
          };
          waiting.add(release);
          res.on('close', () => {
            held.get(id)?.delete(release);
            if (!res.writableFinished) batch.record(0, clock.now() - started);
          });
          return;
        }
        case 'latency':
          return forward(req, res, started);
      }
    };
    if (delay > 0) {
      const timer = setTimeout(apply, delay);
      res.on('close', () => clearTimeout(timer));
    } else apply();
  });
  proxy.keepAliveTimeout = 65_000;
  // `proxy` never listens itself: `listener` below accepts and hands it connections. Its connection
  // tracking (closeAllConnections, the headers/request timeout checks) starts on 'listening'.
  proxy.emit('listening');

  // Clients connect here. While no fault is active a connection is passed through (chaos/pass-through.ts);
  // otherwise, and from the first request after a fault appears, the HTTP server above serves it.
  const passThroughAllowed =
    upstreamPrefix === '' && upstreamHost === undefined && options.passThrough !== false;
  const upstreamTarget = {
    host: upstreamUrl.hostname.replace(/^\[|\]$/g, ''),
    port: Number(upstreamUrl.port || 80),
  };
  const passedThrough = new Set<net.Socket>();
  const serveHttp = (socket: net.Socket, firstChunk?: Buffer): void => {
    passedThrough.delete(socket);
    proxy.emit('connection', socket);
    // The HTTP server reads the socket from now on; the bytes already read go to its parser first.
    if (firstChunk) socket.emit('data', firstChunk);
  };
  // Half-open like http.Server's own sockets: a client's FIN after its request must not cut the response.
  const listener = net.createServer({ allowHalfOpen: true }, (socket) => {
    if (!passThroughAllowed || snapshot.length > 0) return serveHttp(socket);
    passedThrough.add(socket);
    socket.once('close', () => passedThrough.delete(socket));
    passThrough(socket, {
      upstream: upstreamTarget,
      now: () => clock.now(),
      record: (status, latencyMs) => batch.record(status, latencyMs),
      mustHandOver: () => snapshot.length > 0,
      handOver: serveHttp,
    });
  });

  const control = http.createServer((req, res) => {
    handleControl(req, res).catch((error: unknown) => {
      const status = error instanceof UsageError || error instanceof SyntaxError ? 400 : 500;
      const code = error instanceof FaultSpecError ? 'bad-spec' : status === 400 ? 'bad-request' : 'internal';
      if (!res.headersSent) sendJson(res, status, { error: { code, message: (error as Error).message } });
    });
  });

  const handleControl = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0]!.replace(/\/$/, '') || '/';
    if (path === '/faults' && req.method === 'GET') {
      return sendJson(res, 200, { faults: [...active.values()].map(publicFault) });
    }
    if (path === '/faults' && req.method === 'POST') {
      const raw = await readBody(req);
      const body = JSON.parse(raw === '' ? '{}' : raw) as unknown;
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        throw new UsageError(
          'expected a JSON object like {"spec": "error:status=503,percent=50", "ttl": "30s"}',
        );
      const { spec, ttl, experiment, action } = body as Record<string, unknown>;
      if (typeof spec !== 'string') throw new UsageError('"spec" must be a fault SPEC string');
      let ttlMs: number | undefined;
      if (ttl !== undefined) {
        ttlMs = typeof ttl === 'number' || typeof ttl === 'string' ? parseDuration(ttl) : undefined;
        if (ttlMs === undefined || ttlMs <= 0)
          throw new UsageError(`"ttl" must be a positive duration like 30s, got ${JSON.stringify(ttl)}`);
      }
      const fault = addFault(spec, ttlMs, {
        ...(typeof experiment === 'string' ? { experiment } : {}),
        ...(typeof action === 'string' ? { action } : {}),
      });
      return sendJson(res, 201, fault);
    }
    const match = /^\/faults\/([^/]+)$/.exec(path);
    if (match && req.method === 'DELETE') {
      const id = decodeURIComponent(match[1]!);
      if (endFault(id, 'cleared')) {
        res.writeHead(204);
        res.end();
        return;
      }
      return sendJson(res, 404, { error: { code: 'not-found', message: `no active fault ${id}` } });
    }
    if (match && req.method === 'GET') {
      const fault = faultById(decodeURIComponent(match[1]!));
      if (fault) return sendJson(res, 200, fault);
      return sendJson(res, 404, {
        error: { code: 'not-found', message: `no active or recently ended fault ${match[1]}` },
      });
    }
    if (path === '/reset' && req.method === 'POST') {
      return sendJson(res, 200, { cleared: resetAll('cleared') });
    }
    if (path === '/health' && req.method === 'GET') {
      return sendJson(res, 200, { status: 'ok', upstream: options.upstream, url: gatewayUrl });
    }
    return sendJson(res, 404, {
      error: {
        code: 'not-found',
        message: `${req.method} ${path} is not part of the control API (GET/POST /faults, DELETE /faults/:id, POST /reset)`,
      },
    });
  };

  const faultById = (id: string): Fault | undefined => {
    const fault = active.get(id);
    return fault ? publicFault(fault) : ended.get(id);
  };

  const resetAll = (reason: FaultEndReason): number => {
    const ids = [...active.keys()];
    for (const id of ids) endFault(id, reason);
    return ids.length;
  };

  const proxyAddress = await listenOn(
    listener,
    options.listen?.host ?? '127.0.0.1',
    options.listen?.port ?? 0,
  );
  let controlAddress: AddressInfo;
  try {
    controlAddress = await listenOn(control, controlHost, options.control?.port ?? 0);
  } catch (error) {
    listener.close();
    throw error;
  }
  gatewayUrl = formatUrl(proxyAddress);
  const controlUrl = formatUrl(controlAddress);

  let closed: Promise<void> | undefined;
  return {
    url: gatewayUrl,
    controlUrl,
    upstream: options.upstream,
    addFault,
    removeFault: (id, reason = 'cleared') => endFault(id, reason),
    reset: (reason = 'cleared') => resetAll(reason),
    faults: () => [...active.values()].map(publicFault),
    fault: faultById,
    close() {
      closed ??= (async () => {
        resetAll('stopped');
        if (flushTimer) clearInterval(flushTimer);
        const closing = Promise.all([
          new Promise<void>((r) => listener.close(() => r())),
          new Promise<void>((r) => control.close(() => r())),
        ]);
        for (const socket of passedThrough) socket.destroy();
        proxy.close(() => {});
        proxy.closeAllConnections();
        control.closeAllConnections();
        await pool.destroy();
        await closing;
        await flush();
      })();
      return closed;
    },
  };
}
