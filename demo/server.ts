import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Span } from '@opentelemetry/api';
import packageJson from '../package.json' with { type: 'json' };
import { createTracing, type Tracing } from './create-tracing.ts';
import { buildDemoPage } from './demo-page.ts';
import { createMeasurementStore, type MeasurementStore } from './measurement-store.ts';
import { type FieldProblem, parseListQuery, validateMeasurementInput } from './validate-measurement.ts';

export const SERVICE_NAME = 'opsproof-demo';
export const SERVICE_VERSION: string = packageJson.version;
/** Largest accepted request body; larger ones get 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Receives one JSON log line (no trailing newline). */
export type LogSink = (line: string) => void;

export interface DemoServerOptions {
  /** @defaultValue 0 (a free port) */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** OTLP/HTTP base URL (as `OTEL_EXPORTER_OTLP_ENDPOINT`); no tracing at all when absent. */
  otlpEndpoint?: string;
  /** Where JSON log lines go. @defaultValue one `process.stdout.write` per line */
  log?: LogSink;
  /** Measurement store; tests pass a failing one to exercise the 5xx path. */
  store?: MeasurementStore;
  /** Time between listening and becoming ready (`/health/ready` answers 503 meanwhile). @defaultValue 0 */
  startupDelayMs?: number;
  /**
   * How long `close()` keeps accepting requests while `/health/ready` already answers 503, so a
   * load balancer stops routing here before connections are refused. @defaultValue 0
   */
  drainDelayMs?: number;
  /** How long `close()` waits for in-flight requests before cutting connections. @defaultValue 5000 */
  shutdownTimeoutMs?: number;
}

export interface DemoServer {
  url: string;
  port: number;
  /** Resolves when `/health/ready` starts answering 200. */
  whenReady: Promise<void>;
  /** Stops accepting, waits for in-flight requests, flushes spans. Idempotent. */
  close(): Promise<void>;
}

type Lifecycle = 'starting' | 'ready' | 'stopping';
type ComponentStatus = 'ok' | 'degraded' | 'fail';

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  query: URLSearchParams | undefined;
  route: string | null;
  params: Record<string, string>;
  requestId: string;
  correlationId: string;
  startedAt: number;
  span: Span | undefined;
}

type Handler = (exchange: Exchange) => void | Promise<void>;
type Routes = Record<string, Partial<Record<string, Handler>>>;

// Accepted as-is from clients; anything else (too long, odd characters) is replaced, so a header
// can neither break a log line nor be used to inject response headers.
const CORRELATION_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;
const JSON_TYPE = 'application/json; charset=utf-8';

function defaultLog(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A log line that is not about one request (start-up, shutdown). */
function formatEventLine(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: object = {}): string {
  return JSON.stringify({
    timestamp: new Date().toISOString(),
    level,
    service: SERVICE_NAME,
    message,
    ...fields,
  });
}

/** Matches a path to its route template; `:id` is the only parameter the API has. */
function matchRoute(path: string, routes: Routes): { route: string; params: Record<string, string> } | null {
  if (routes[path]) return { route: path, params: {} };
  const prefix = '/api/measurements/';
  if (path.startsWith(prefix) && path.length > prefix.length && !path.includes('/', prefix.length)) {
    return { route: '/api/measurements/:id', params: { id: decodeURIComponent(path.slice(prefix.length)) } };
  }
  return null;
}

type BodyResult = { kind: 'ok'; text: string } | { kind: 'too_large' };

/**
 * Reads a body up to `limit` bytes; past it, drains the rest without keeping it. The demo imports only
 * its own deps (DESIGN.md), so it keeps this reader instead of core/read-body.ts.
 */
function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve({ kind: 'too_large' });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(
        received > limit
          ? { kind: 'too_large' }
          : { kind: 'ok', text: Buffer.concat(chunks).toString('utf8') },
      ),
    );
    req.on('error', reject);
  });
}

/**
 * Starts the demo service: health endpoints, the measurements API, the web page, one JSON log line
 * per request and, when `otlpEndpoint` is set, one OTLP server span per request.
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const { port = 0, host = '127.0.0.1', otlpEndpoint, log = defaultLog } = options;
  const { startupDelayMs = 0, drainDelayMs = 0 } = options;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5000;
  const store = options.store ?? createMeasurementStore();
  const tracing: Tracing | undefined = otlpEndpoint
    ? createTracing({ endpoint: otlpEndpoint, serviceName: SERVICE_NAME, version: SERVICE_VERSION })
    : undefined;
  const page = buildDemoPage(SERVICE_NAME);
  const startedAt = performance.now();
  let lifecycle: Lifecycle = 'starting';

  function send(exchange: Exchange, status: number, body: unknown, error?: unknown): void {
    const { res } = exchange;
    if (!res.headersSent) {
      // While stopping, no connection is kept alive: the server can close as soon as this is sent.
      if (lifecycle === 'stopping') res.setHeader('connection', 'close');
      const payload = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': JSON_TYPE,
        'content-length': Buffer.byteLength(payload),
        'cache-control': 'no-store',
      });
      res.end(payload);
    } else if (!res.writableEnded) {
      res.destroy();
    }
    finish(exchange, status, error);
  }

  function sendHtml(exchange: Exchange): void {
    exchange.res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(page.html),
      'content-security-policy': page.contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
    });
    exchange.res.end(page.html);
    finish(exchange, 200);
  }

  function sendProblems(exchange: Exchange, details: FieldProblem[]): void {
    send(exchange, 400, { error: 'validation_failed', message: 'the request is not valid', details });
  }

  /** The request's one log line (and span end). 5xx lines are `level: ERROR`. */
  function finish(exchange: Exchange, status: number, error?: unknown): void {
    const durationMs = Math.round((performance.now() - exchange.startedAt) * 1000) / 1000;
    const line: Record<string, unknown> = {
      timestamp: new Date().toISOString(),
      level: status >= 500 ? 'ERROR' : 'INFO',
      service: SERVICE_NAME,
      message: 'request completed',
      requestId: exchange.requestId,
      correlationId: exchange.correlationId,
      method: exchange.method,
      route: exchange.route,
      path: exchange.path,
      status,
      durationMs,
    };
    if (exchange.span) {
      line.traceId = exchange.span.spanContext().traceId;
      tracing?.endRequestSpan(exchange.span, {
        method: exchange.method,
        route: exchange.route ?? '',
        status,
      });
    }
    if (error !== undefined) line.error = error instanceof Error ? error.message : String(error);
    log(JSON.stringify(line));
  }

  const health = {
    live(exchange: Exchange) {
      send(exchange, 200, { status: 'ok' });
    },
    ready(exchange: Exchange) {
      if (lifecycle === 'ready') send(exchange, 200, { status: 'ok' });
      else send(exchange, 503, { status: lifecycle });
    },
    detailed(exchange: Exchange) {
      let storeComponent: { status: ComponentStatus; [key: string]: unknown };
      try {
        store.list({ limit: 1 });
        storeComponent = { status: 'ok', kind: 'memory', measurements: store.size, capacity: store.capacity };
      } catch (error) {
        storeComponent = { status: 'fail', kind: 'memory', error: (error as Error).message };
      }
      const uptimeSeconds = Math.round(performance.now() - startedAt) / 1000;
      const components = {
        store: storeComponent,
        config: {
          status: 'ok' as ComponentStatus,
          tracing: tracing ? 'otlp' : 'disabled',
          maxBodyBytes: MAX_BODY_BYTES,
        },
        readiness: {
          status: (lifecycle === 'ready' ? 'ok' : 'degraded') as ComponentStatus,
          state: lifecycle,
        },
        uptime: { status: 'ok' as ComponentStatus, seconds: uptimeSeconds },
        version: { status: 'ok' as ComponentStatus, version: SERVICE_VERSION, node: process.version },
      };
      const statuses = Object.values(components).map((component) => component.status);
      const status: ComponentStatus = statuses.includes('fail')
        ? 'fail'
        : statuses.includes('degraded')
          ? 'degraded'
          : 'ok';
      send(exchange, status === 'fail' ? 503 : 200, {
        status,
        service: SERVICE_NAME,
        version: SERVICE_VERSION,
        uptimeSeconds,
        components,
      });
    },
  };

  const measurements = {
    async create(exchange: Exchange) {
      const body = await readBody(exchange.req, MAX_BODY_BYTES);
      if (body.kind === 'too_large') {
        exchange.res.setHeader('connection', 'close');
        send(exchange, 413, {
          error: 'payload_too_large',
          message: `request body must be at most ${MAX_BODY_BYTES} bytes`,
        });
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.text);
      } catch {
        send(exchange, 400, { error: 'invalid_json', message: 'request body must be a JSON object' });
        return;
      }
      const input = validateMeasurementInput(parsed);
      if (!input.ok) return sendProblems(exchange, input.details);
      const measurement = store.add(input.value, new Date());
      exchange.res.setHeader('location', `/api/measurements/${measurement.id}`);
      send(exchange, 201, measurement);
    },
    list(exchange: Exchange) {
      const query = parseListQuery(exchange.query);
      if (!query.ok) return sendProblems(exchange, query.details);
      const items = store.list(query.value);
      send(exchange, 200, { items, count: items.length, limit: query.value.limit });
    },
    get(exchange: Exchange) {
      const id = exchange.params.id ?? '';
      const measurement = store.get(id);
      if (measurement) send(exchange, 200, measurement);
      else send(exchange, 404, { error: 'not_found', message: `no measurement with id "${id}"` });
    },
  };

  const routes: Routes = {
    '/': { GET: sendHtml },
    '/health/live': { GET: health.live },
    '/health/ready': { GET: health.ready },
    '/health/detailed': { GET: health.detailed },
    '/api/measurements': { GET: measurements.list, POST: measurements.create },
    '/api/measurements/:id': { GET: measurements.get },
  };

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    let path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const header = req.headers['x-correlation-id'];
    const correlationId = typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
    const method = req.method ?? 'GET';
    const exchange: Exchange = {
      req,
      res,
      method,
      path,
      query: queryAt === -1 ? undefined : new URLSearchParams(rawUrl.slice(queryAt + 1)),
      route: null,
      params: {},
      requestId: randomUUID(),
      correlationId,
      startedAt: performance.now(),
      span: tracing?.startRequestSpan({
        method,
        path,
        correlationId,
        traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
      }),
    };
    res.setHeader('x-correlation-id', correlationId);
    res.setHeader('x-request-id', exchange.requestId);

    let matched: ReturnType<typeof matchRoute>;
    try {
      matched = matchRoute(path, routes);
    } catch {
      // decodeURIComponent on a malformed escape
      send(exchange, 400, { error: 'bad_request', message: 'the path is not valid' });
      return;
    }
    if (!matched) {
      send(exchange, 404, { error: 'not_found', message: `no route for ${method} ${path}` });
      return;
    }
    exchange.route = matched.route;
    exchange.params = matched.params;
    const methods = routes[matched.route] ?? {};
    const handler = methods[method] ?? (method === 'HEAD' ? methods.GET : undefined);
    if (!handler) {
      res.setHeader('allow', Object.keys(methods).join(', '));
      send(exchange, 405, {
        error: 'method_not_allowed',
        message: `${method} is not allowed on ${matched.route}`,
        allow: Object.keys(methods),
      });
      return;
    }
    const onError = (error: unknown) =>
      send(
        exchange,
        500,
        { error: 'internal_error', message: 'the request failed; see the service log' },
        error,
      );
    try {
      const pending = handler(exchange);
      if (pending) pending.catch(onError);
    } catch (error) {
      onError(error);
    }
  }

  const server = createServer({ keepAliveTimeout: 5000 }, onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;

  let readyTimer: NodeJS.Timeout | undefined;
  const whenReady = new Promise<void>((resolve) => {
    const becomeReady = () => {
      if (lifecycle === 'starting') lifecycle = 'ready';
      resolve();
    };
    if (startupDelayMs > 0) readyTimer = setTimeout(becomeReady, startupDelayMs);
    else becomeReady();
  });

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      lifecycle = 'stopping';
      if (readyTimer) clearTimeout(readyTimer);
      if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      // Losing the last spans must not turn a clean shutdown into a failed one.
      await tracing?.shutdown().catch((error: unknown) => {
        log(formatEventLine('WARN', `could not export the last spans: ${(error as Error).message}`));
      });
    })();
    return closing;
  }

  return { url, port: address.port, whenReady, close };
}

function parsePort(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535))
    throw new RangeError(`port must be an integer from 0 to 65535, got "${text}"`);
  return port;
}

/**
 * Process mode: `node --import tsx demo/server.ts [--port N] [--host H]` (or env `PORT`, `HOST`,
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, `DEMO_STARTUP_DELAY_MS`, `DEMO_DRAIN_DELAY_MS`). Logs `listening on <url>` once bound and
 * `ready` when `/health/ready` turns 200; SIGTERM/SIGINT stop it cleanly (exit 0).
 */
export async function runDemoProcess(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  let port: number;
  let host: string;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, host: { type: 'string' } },
    });
    port = parsePort(values.port ?? env.PORT, 0);
    host = values.host ?? env.HOST ?? '127.0.0.1';
  } catch (error) {
    defaultLog(formatEventLine('ERROR', `invalid arguments: ${(error as Error).message}`));
    process.exitCode = 2;
    return;
  }
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  const server = await startDemoServer({
    port,
    host,
    otlpEndpoint,
    startupDelayMs: Number(env.DEMO_STARTUP_DELAY_MS) || 0,
    drainDelayMs: Number(env.DEMO_DRAIN_DELAY_MS) || 0,
  });
  defaultLog(
    formatEventLine('INFO', `listening on ${server.url}`, {
      url: server.url,
      pid: process.pid,
      version: SERVICE_VERSION,
      tracing: otlpEndpoint ? 'otlp' : 'disabled',
    }),
  );
  server.whenReady.then(() => defaultLog(formatEventLine('INFO', 'ready')));

  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const stop = (signal: NodeJS.Signals) => {
    for (const other of signals) process.off(other, stop);
    // A second signal while draining means "now".
    for (const other of signals) process.once(other, () => process.exit(130));
    defaultLog(formatEventLine('INFO', `received ${signal}, shutting down`));
    server.close().then(
      () => {
        defaultLog(formatEventLine('INFO', 'stopped'));
        process.exit(0);
      },
      (error: unknown) => {
        defaultLog(formatEventLine('ERROR', `shutdown failed: ${(error as Error).message}`));
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDemoProcess(process.argv.slice(2), process.env).catch((error: unknown) => {
    defaultLog(formatEventLine('ERROR', `failed to start: ${(error as Error).message}`));
    process.exitCode = 3;
  });
}
