import type { LoadRequest } from '../core/schema.ts';

/** A request of the mix, prepared once so the hot loop only adds the correlation id. */
export interface PreparedRequest {
  /** Scenario name: the request's `name`, else `METHOD path`. */
  name: string;
  method: LoadRequest['method'];
  path: string;
  /** Flat header list `[name, value, …]` (undici's fastest form), without the correlation id. */
  headers: string[];
  body: string | undefined;
  /** Whether a status counts as success (`expectStatus`, default 2xx and 3xx). */
  isSuccess(status: number): boolean;
}

export interface RequestMix {
  requests: readonly PreparedRequest[];
  /** The next request: smooth weighted round-robin, so any window of the run keeps the weights. */
  pick(): PreparedRequest;
}

export const CORRELATION_HEADER = 'x-correlation-id';

export function prepareRequest(
  request: LoadRequest,
  extraHeaders: Record<string, string> = {},
): PreparedRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(extraHeaders)) headers[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | undefined;
  if (typeof request.body === 'string') body = request.body;
  else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] ??= 'application/json';
  }
  const expected = request.expectStatus === undefined ? undefined : [request.expectStatus].flat();
  return {
    name: request.name ?? `${request.method} ${request.path}`,
    method: request.method,
    path: request.path,
    headers: Object.entries(headers).flat(),
    body,
    isSuccess: expected ? (status) => expected.includes(status) : (status) => status >= 200 && status < 400,
  };
}

export function buildRequestMix(
  requests: readonly LoadRequest[],
  extraHeaders: Record<string, string> = {},
): RequestMix {
  const prepared = requests.map((r) => prepareRequest(r, extraHeaders));
  const weights = requests.map((r) => r.weight);
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  if (prepared.length === 1) return { requests: prepared, pick: () => prepared[0]! };
  return {
    requests: prepared,
    pick() {
      let best = 0;
      for (let i = 0; i < current.length; i++) {
        current[i]! += weights[i]!;
        if (current[i]! > current[best]!) best = i;
      }
      current[best]! -= total;
      return prepared[best]!;
    },
  };
}

/** A cheap, unique-per-run correlation id generator: `<run prefix>-<sequence>`. */
export function createCorrelationIds(prefix: string = crypto.randomUUID().slice(0, 8)): () => string {
  let sequence = 0;
  return () => `${prefix}-${(sequence++).toString(36)}`;
}
