/** The gateway's HTTP path to the upstream: one request proxied with undici, hop-by-hop headers dropped. */
import type http from 'node:http';
import { type Dispatcher, Pool } from 'undici';

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

const kForward = Symbol('forward');
type ForwardedResponse = http.ServerResponse & {
  [kForward]?: { abortUpstream: ((error: Error) => void) | undefined };
};

/** One shared `close` listener (`this` is the response) instead of a closure per request. */
function onClientGone(this: ForwardedResponse): void {
  if (!this.writableFinished) this[kForward]?.abortUpstream?.(new Error('client went away'));
}

export interface UpstreamForwarderOptions {
  /** The upstream's origin, e.g. `http://127.0.0.1:8080`. */
  origin: string;
  /** Prepended to every request's path (an upstream URL with a path); `''` for none. */
  pathPrefix: string;
  /** The `Host` header sent upstream instead of the client's; `undefined` keeps the client's. */
  host: string | undefined;
  /** Milliseconds, monotonic (the clock `started` was read from). */
  now(): number;
  /** One finished request: its status (502 when the upstream failed) and latency. */
  record(status: number, latencyMs: number): void;
}

export interface UpstreamForwarder {
  /** Proxies `req` to the upstream and its answer to `res`; `started` is when the request arrived. */
  forward(req: http.IncomingMessage, res: http.ServerResponse, started: number): void;
  /** Closes the upstream connections. */
  close(): Promise<void>;
}

export function createUpstreamForwarder(options: UpstreamForwarderOptions): UpstreamForwarder {
  const { pathPrefix, host, now, record } = options;
  const pool = new Pool(options.origin, { connections: 256, keepAliveTimeout: 30_000 });

  /**
   * One forwarded request: the undici handler (classic API — raw header arrays, no controller or
   * parsed-header objects per response) and its state in one object, with no per-request closures
   * beyond the client-gone listener.
   */
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
      record(this.status, now() - this.started);
    }
    onError(error: Error): void {
      const res = this.res;
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      record(502, now() - this.started);
      const body = JSON.stringify({
        message: 'Bad Gateway',
        error: (error as NodeJS.ErrnoException).code ?? error.message,
      });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }
  }

  return {
    forward(req, res, started) {
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
        } else if (host !== undefined && name.length === 4 && name.toLowerCase() === 'host') {
          headers.push(name, host);
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
          path: pathPrefix + (req.url ?? '/'),
          headers,
          body: hasBody ? req : null,
        },
        handler,
      );
    },
    close: () => pool.destroy(),
  };
}
