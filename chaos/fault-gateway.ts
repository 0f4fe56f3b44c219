/** The local fault gateway: a reverse proxy injecting faults, composed of the parts named below. */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../core/clock.ts';
import { EnvironmentError, UsageError } from '../core/errors.ts';
import { isLoopbackHost } from '../core/loopback.ts';
import type { Timeline } from '../core/timeline.ts';
import type { Telemetry } from '../telemetry/port.ts';
import { decideFault } from './decide-fault.ts';
import { createFaultControlApi } from './fault-control-api.ts';
import {
  type ActiveFault,
  type AddFaultOptions,
  createFaultRegistry,
  type Fault,
  type FaultEndReason,
} from './fault-registry.ts';
import type { FaultSpec } from './parse-fault-spec.ts';
import { passThrough } from './pass-through.ts';
import { startRequestMetrics } from './request-metrics.ts';
import { createUpstreamForwarder } from './upstream-forwarder.ts';

export type { AddFaultOptions, Fault, FaultEndReason } from './fault-registry.ts';
export { SEEN_PATHS_LIMIT } from './fault-registry.ts';

/** How a fault is added to the gateway itself (not through the control API). */
export interface GatewayFaultOptions extends AddFaultOptions {
  /**
   * Put its `fault.start` / `fault.end` on the gateway's `timeline`. `false` when the caller emits
   * them: the local engine does for every fault it injects, so each fault has one owner.
   * @defaultValue true
   */
  announce?: boolean;
}

export interface FaultGateway {
  /** URL clients use instead of the upstream's. */
  readonly url: string;
  /** Control API base URL (`GET/POST /faults`, `DELETE /faults/:id`, `POST /reset`). */
  readonly controlUrl: string;
  readonly upstream: string;
  /** Adds a fault that the gateway removes itself after `ttlMs` (default: the gateway's). */
  addFault(spec: FaultSpec, ttlMs?: number, options?: GatewayFaultOptions): Fault;
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
  /**
   * `fault.start` / `fault.end` of the faults the gateway is given directly (`--fault`, the control
   * API, `addFault` unless `announce: false`) go here.
   */
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

/**
 * Starts the fault gateway: an HTTP reverse proxy in front of `upstream` that injects latency, HTTP
 * errors, connection resets and blackholes into a percentage of matching requests, records API
 * Gateway-shaped request metrics, and serves a Toxiproxy-like control API on a separate loopback port.
 * Every fault carries a TTL enforced here, so a controller that dies cannot leave a fault behind.
 * Its parts: the fault registry (fault-registry.ts), the decision per request (decide-fault.ts),
 * forwarding (upstream-forwarder.ts, pass-through.ts), the control API (fault-control-api.ts) and
 * request metrics (request-metrics.ts); this composes them and applies the terminal faults.
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
  const upstreamPrefix = upstreamUrl.pathname === '/' ? '' : upstreamUrl.pathname.replace(/\/$/, '');
  // A TLS or remote upstream gets its own Host header (virtual hosts), so its requests take the HTTP
  // path: pass-through copies the client's bytes unchanged. A loopback http upstream keeps the client's.
  const upstreamHost =
    upstreamUrl.protocol === 'https:' || !isLoopbackHost(upstreamUrl.hostname) ? upstreamUrl.host : undefined;

  const metrics = startRequestMetrics({
    apiName: options.apiName ?? 'opsproof-demo',
    clock,
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    ...(options.flushIntervalMs === undefined ? {} : { flushIntervalMs: options.flushIntervalMs }),
  });
  const record = metrics.record;
  const now = () => clock.now();
  const forwarder = createUpstreamForwarder({
    origin: upstreamUrl.origin,
    pathPrefix: upstreamPrefix,
    host: upstreamHost,
    now,
    record,
  });
  const forward = forwarder.forward;

  let gatewayUrl = '';
  /** Requests held by a blackhole, released (forwarded) when it ends. */
  const held = new Map<string, Set<() => void>>();
  /** The faults whose start this gateway put on its timeline: their end goes there too. */
  const announced = new Set<string>();
  const registry = createFaultRegistry({
    clock,
    onEnd: (fault) => {
      if (announced.delete(fault.id))
        options.timeline?.emit({ type: 'fault.end', faultId: fault.id, reason: fault.endReason! });
      const waiting = held.get(fault.id);
      held.delete(fault.id);
      for (const release of waiting ?? []) release();
    },
  });

  const addFault = (spec: FaultSpec, ttlMs = defaultTtlMs, meta: GatewayFaultOptions = {}): Fault => {
    const labels: AddFaultOptions = {
      ...(meta.experiment === undefined ? {} : { experiment: meta.experiment }),
      ...(meta.action === undefined ? {} : { action: meta.action }),
    };
    const fault = registry.add(spec, ttlMs, labels);
    if (options.timeline && meta.announce !== false) {
      announced.add(fault.id);
      options.timeline.emit({
        type: 'fault.start',
        faultId: fault.id,
        spec: fault.spec,
        where: gatewayUrl,
        ...labels,
      });
    }
    return fault;
  };

  /** Applies the request's terminal fault (error, reset, blackhole) once its latency has passed. */
  const injectFault = (
    terminal: ActiveFault,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    started: number,
  ): void => {
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
        record(f.status, clock.now() - started);
        return;
      }
      case 'reset':
        record(0, clock.now() - started);
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
          if (!res.writableFinished) record(0, clock.now() - started);
        });
        return;
      }
      case 'latency':
        forward(req, res, started);
        return;
    }
  };

  const proxy = http.createServer((req, res) => {
    const started = clock.now();
    const faults = registry.active;
    if (faults.length === 0) {
      forward(req, res, started);
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const { delayMs, terminal, outcomes } = decideFault(faults, req.method, path, random);
    registry.countRequest(faults, path, outcomes);
    const apply = () => (terminal ? injectFault(terminal, req, res, started) : forward(req, res, started));
    if (delayMs > 0) {
      const timer = setTimeout(apply, delayMs);
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
  const faultActive = () => registry.active.length > 0;
  // Half-open like http.Server's own sockets: a client's FIN after its request must not cut the response.
  const listener = net.createServer({ allowHalfOpen: true }, (socket) => {
    if (!passThroughAllowed || faultActive()) return serveHttp(socket);
    passedThrough.add(socket);
    socket.once('close', () => passedThrough.delete(socket));
    passThrough(socket, {
      upstream: upstreamTarget,
      now,
      record,
      mustHandOver: faultActive,
      handOver: serveHttp,
    });
  });

  const control = http.createServer(
    createFaultControlApi({
      get url() {
        return gatewayUrl;
      },
      upstream: options.upstream,
      addFault,
      removeFault: registry.end,
      reset: registry.endAll,
      faults: registry.list,
      fault: registry.get,
    }),
  );

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
    removeFault: (id, reason = 'cleared') => registry.end(id, reason),
    reset: (reason = 'cleared') => registry.endAll(reason),
    faults: registry.list,
    fault: registry.get,
    close() {
      closed ??= (async () => {
        registry.endAll('stopped');
        metrics.stop();
        const closing = Promise.all([
          new Promise<void>((r) => listener.close(() => r())),
          new Promise<void>((r) => control.close(() => r())),
        ]);
        for (const socket of passedThrough) socket.destroy();
        proxy.close(() => {});
        proxy.closeAllConnections();
        control.closeAllConnections();
        await forwarder.close();
        await closing;
        await metrics.flush();
      })();
      return closed;
    },
  };
}
