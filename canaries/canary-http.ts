import type { CanaryHttp, CanaryRequestInit, CanaryResponse } from './define-canary.ts';

/** Bodies larger than this are truncated (the response still counts; only the text is cut). */
const MAX_BODY_CHARS = 1024 * 1024;

/** One request as the runner records it on the current step. */
export interface HttpRecord {
  method: string;
  url: string;
  /** `null` when no response arrived (connection refused, DNS, TLS, timeout). */
  status: number | null;
  durationMs: number;
  /** The start of the body, for failure artifacts. */
  bodySnippet: string;
  error?: string;
}

export interface CanaryHttpOptions {
  /** Called once per request, answered or not. */
  onRecord(record: HttpRecord): void;
  /** Per-request timeout when the request gives none. */
  timeoutMs(): number;
  /** Headers sent with every request (the environment's `headers`). */
  headers?: Record<string, string>;
  /** Aborts every request in flight (run timeout, Ctrl-C). */
  signal?: AbortSignal;
}

/** Error codes of Node's network stack, in words a person reading a canary failure understands. */
const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'socket closed',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS error: self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS error: self-signed certificate in chain',
  CERT_HAS_EXPIRED: 'TLS error: certificate expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS error: certificate does not match the host name',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS error: unable to verify the certificate',
  EPROTO: 'TLS/protocol error',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS error: wrong version number (is it plain HTTP?)',
};

/** A one-line reason for a failed fetch: walks `cause` to the network error code. */
function formatFetchError(error: unknown, timeoutMs: number): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const e = current as { name?: string; code?: string; message?: string; cause?: unknown };
    if (e.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
    if (e.name === 'AbortError') return 'aborted';
    if (e.code && NETWORK_ERRORS[e.code]) return `${NETWORK_ERRORS[e.code]} (${e.code})`;
    if (e.code && /CERT|SSL|TLS/.test(e.code)) return `TLS error (${e.code}): ${e.message ?? ''}`.trim();
    if (!e.cause) return e.code ? `${e.message ?? 'request failed'} (${e.code})` : (e.message ?? String(e));
    current = e.cause;
  }
  return String(error);
}

function encodeBody(body: CanaryRequestInit['body'], headers: Record<string, string>): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return body;
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  return JSON.stringify(body);
}

/**
 * The `http` every canary gets: fetch-based, with a timeout per request, recording status and timing
 * of every request (and the reason of every failed one) through `onRecord`. Works unchanged inside
 * CloudWatch Synthetics (Node's global fetch), so the packaged canary behaves as the local one.
 */
export function createCanaryHttp(options: CanaryHttpOptions): CanaryHttp {
  const request = async (
    method: string,
    url: string,
    init: CanaryRequestInit = {},
  ): Promise<CanaryResponse> => {
    const timeoutMs = init.timeoutMs ?? options.timeoutMs();
    const headers: Record<string, string> = { ...options.headers, ...init.headers };
    const body = encodeBody(init.body, headers);
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (options.signal) signals.push(options.signal);
    const started = performance.now();
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal: AbortSignal.any(signals), redirect: 'follow' });
    } catch (error) {
      const reason = formatFetchError(error, timeoutMs);
      const durationMs = Math.round(performance.now() - started);
      options.onRecord({ method, url, status: null, durationMs, bodySnippet: '', error: reason });
      throw new Error(`${method} ${url} failed: ${reason}`, { cause: error });
    }
    let text = '';
    try {
      text = await res.text();
    } catch (error) {
      const reason = formatFetchError(error, timeoutMs);
      const durationMs = Math.round(performance.now() - started);
      options.onRecord({ method, url, status: res.status, durationMs, bodySnippet: '', error: reason });
      throw new Error(`${method} ${url}: reading the body failed: ${reason}`, { cause: error });
    }
    const durationMs = Math.round(performance.now() - started);
    const bodyText = text.length > MAX_BODY_CHARS ? text.slice(0, MAX_BODY_CHARS) : text;
    options.onRecord({ method, url, status: res.status, durationMs, bodySnippet: bodyText.slice(0, 2048) });
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      responseHeaders[key] = value;
    });
    return {
      status: res.status,
      headers: responseHeaders,
      body: bodyText,
      durationMs,
      json<T = unknown>(): T {
        try {
          return JSON.parse(bodyText) as T;
        } catch {
          throw new Error(`${method} ${url}: expected JSON, got ${JSON.stringify(bodyText.slice(0, 120))}`);
        }
      },
    };
  };
  return {
    request,
    get: (url, init) => request('GET', url, init),
    post: (url, body, init) => request('POST', url, { ...init, body }),
  };
}
