import net from 'node:net';

/**
 * The fault gateway's fast path while no fault is active: client bytes go to the upstream and back
 * unparsed, one upstream connection per client connection (Toxiproxy's model), so the gateway costs a
 * read and a write each way instead of two HTTP hops. Per-request metrics survive without an HTTP
 * parser because HTTP/1.1 clients that do not pipeline (browsers, undici, k6, wrk, curl) alternate:
 * a request, then its whole response. So on each connection:
 *
 * - client bytes while `idle` (or while a response is flowing, which means it was complete: the client
 *   waited for it) start a request: its clock starts;
 * - the first upstream bytes after that carry the status line: the request is recorded with that
 *   status and the time to the first byte of the response (interim `1xx` responses are skipped);
 * - further client bytes while a response is awaited are the request's body.
 *
 * A client that pipelines gets correct bytes but fewer counted requests (one per burst).
 *
 * When a fault becomes active, the next request on a pass-through connection is handed, bytes and
 * all, to the HTTP path (`handOver`), so a keep-alive connection opened before the fault cannot dodge
 * it. Faults never apply to a request already in flight, on either path.
 */
export interface PassThroughOptions {
  upstream: { host: string; port: number };
  /** Milliseconds, monotonic. */
  now(): number;
  /** One finished exchange: the response's status (502 when the upstream failed) and latency. */
  record(status: number, latencyMs: number): void;
  /** `true` when a request arriving now must go through the HTTP path (a fault is active). */
  mustHandOver(): boolean;
  /** Serves `socket` on the HTTP path from now on, starting with `firstChunk`. */
  handOver(socket: net.Socket, firstChunk: Buffer): void;
  /** Both sockets are closed after this long without traffic. @defaultValue 65_000 */
  idleTimeoutMs?: number;
}

type State = 'idle' | 'awaiting' | 'responding';

const BAD_GATEWAY_BODY = JSON.stringify({ message: 'Bad Gateway', error: 'upstream connection failed' });
const BAD_GATEWAY = Buffer.from(
  'HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(BAD_GATEWAY_BODY)}\r\nconnection: close\r\n\r\n${BAD_GATEWAY_BODY}`,
  'latin1',
);
/** `HTTP/1.x NNN` — the status code is at bytes 9–11. */
const STATUS_LINE_LENGTH = 12;
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * The status code of the first final (non-1xx) response in `bytes`; `-1` when `bytes` ends before one
 * is seen (the caller keeps them and waits for more), `0` when they are not an HTTP response at all.
 */
export function findFinalStatus(bytes: Buffer): number {
  let at = 0;
  for (;;) {
    if (bytes.length - at < STATUS_LINE_LENGTH) return -1;
    if (bytes[at] !== 0x48 /* H */ || bytes[at + 8] !== 0x20 /* space */) return 0;
    const status = (bytes[at + 9]! - 48) * 100 + (bytes[at + 10]! - 48) * 10 + (bytes[at + 11]! - 48);
    if (!(status >= 100 && status <= 999)) return 0;
    if (status >= 200) return status;
    const end = bytes.indexOf(HEADER_END, at);
    if (end === -1) return -1;
    at = end + HEADER_END.length;
  }
}

/** Serves one accepted client connection by pass-through; hands it over when a fault appears. */
export function passThrough(client: net.Socket, options: PassThroughOptions): void {
  const upstream = net.connect({
    host: options.upstream.host,
    port: options.upstream.port,
    noDelay: true,
    allowHalfOpen: true,
  });
  client.setNoDelay(true);
  let state: State = 'idle';
  let started = 0;
  /** Response bytes that ended before a final status line (rare: a split status line or 1xx). */
  let pending: Buffer | undefined;
  let upstreamFailed = false;
  let done = false;

  const finish = (): void => {
    if (done) return;
    done = true;
    client.destroy();
    upstream.destroy();
  };

  const onClientData = (chunk: Buffer): void => {
    if (upstreamFailed) {
      // Refused before this connection's first request (or between requests).
      started = options.now();
      client.off('data', onClientData);
      badGateway();
      return;
    }
    if (state !== 'awaiting') {
      if (options.mustHandOver()) {
        detach();
        upstream.end();
        options.handOver(client, chunk);
        return;
      }
      state = 'awaiting';
      started = options.now();
      pending = undefined;
    }
    if (!upstream.write(chunk)) client.pause();
  };

  const onUpstreamData = (chunk: Buffer): void => {
    if (state === 'awaiting') {
      const bytes = pending ? Buffer.concat([pending, chunk]) : chunk;
      const status = findFinalStatus(bytes);
      if (status === -1) pending = bytes.length <= 16_384 ? bytes : undefined;
      else {
        pending = undefined;
        state = 'responding';
        options.record(status, options.now() - started);
      }
    }
    if (!client.write(chunk)) upstream.pause();
  };

  /** The upstream failed before or while a request waited: that request gets a 502, then the end. */
  const badGateway = (): void => {
    options.record(502, options.now() - started);
    done = true;
    client.end(BAD_GATEWAY);
  };
  const onUpstreamError = (): void => {
    if (state === 'awaiting' && pending === undefined) badGateway();
    else if (state === 'idle') upstreamFailed = true;
    else finish();
  };
  const onUpstreamClose = (): void => {
    if (!upstreamFailed) finish();
  };

  const onClientDrain = () => upstream.resume();
  const onUpstreamDrain = () => client.resume();
  const onClientEnd = () => upstream.end();
  const onUpstreamEnd = (): void => {
    // Closed with a request waiting and nothing of its response sent (a killed process closes its
    // sockets with a FIN): a 502, as the HTTP path answers a failed upstream request.
    if (state === 'awaiting' && pending === undefined) {
      upstream.destroy();
      badGateway();
    } else client.end();
  };
  const onTimeout = () => finish();

  function detach(): void {
    client.off('data', onClientData);
    client.off('drain', onClientDrain);
    client.off('end', onClientEnd);
    client.off('error', finish);
    client.off('close', finish);
    client.off('timeout', onTimeout);
    client.setTimeout(0);
    upstream.off('data', onUpstreamData);
    upstream.off('drain', onUpstreamDrain);
    upstream.off('end', onUpstreamEnd);
    upstream.off('close', onUpstreamClose);
    upstream.off('error', onUpstreamError);
    upstream.on('error', () => {});
    done = true;
  }

  client.on('data', onClientData);
  client.on('drain', onClientDrain);
  client.on('end', onClientEnd);
  client.on('error', finish);
  client.on('close', finish);
  client.setTimeout(options.idleTimeoutMs ?? 65_000, onTimeout);
  upstream.on('data', onUpstreamData);
  upstream.on('drain', onUpstreamDrain);
  upstream.on('end', onUpstreamEnd);
  upstream.on('close', onUpstreamClose);
  upstream.on('error', onUpstreamError);
}
