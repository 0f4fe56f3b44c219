import { describeError, EnvironmentError } from '../core/errors.ts';

/** Health paths tried in this order; the first that answers 2xx with something other than HTML wins. */
const HEALTH_PATHS = ['/health', '/healthz', '/health/ready', '/ready', '/status', '/api/health'];

/** What one GET of a path showed. */
export interface ProbedPath {
  path: string;
  status: number;
  kind: 'html' | 'json' | 'other';
  /** The HTML page's `<title>`, when it has one. */
  title?: string;
}

export interface ServiceProbe {
  /** The URL's origin: the suite's target. */
  origin: string;
  /** The path the user gave, and `/` when it differs. */
  pages: ProbedPath[];
  /** The first of {@link HEALTH_PATHS} that answered. */
  healthPath?: string;
}

/**
 * GETs the URL (and `/` of its origin when the URL has a path) and the common health paths. A URL
 * that does not answer at all is an {@link EnvironmentError} (exit 3); any HTTP answer is a finding.
 */
export async function probeService(url: string, options: { timeoutMs?: number } = {}): Promise<ServiceProbe> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const parsed = new URL(url);
  const path = `${parsed.pathname}${parsed.search}` || '/';
  const first = await probePath(parsed.origin, path, timeoutMs).catch((error: unknown) => {
    throw new EnvironmentError('target-unreachable', `${url} does not answer (${describeError(error)}).`, {
      hint: 'start the service first, or check the URL',
      cause: error,
    });
  });
  const pages = [first];
  if (path !== '/') {
    const root = await probePath(parsed.origin, '/', timeoutMs).catch(() => undefined);
    if (root && root.status < 400) pages.push(root);
  }
  let healthPath: string | undefined;
  for (const candidate of HEALTH_PATHS) {
    const probed = await probePath(parsed.origin, candidate, timeoutMs).catch(() => undefined);
    // A single-page app answers every path with its index.html: that is not a health endpoint.
    if (probed && probed.status >= 200 && probed.status < 300 && probed.kind !== 'html') {
      healthPath = candidate;
      break;
    }
  }
  return { origin: parsed.origin, pages, ...(healthPath ? { healthPath } : {}) };
}

async function probePath(origin: string, path: string, timeoutMs: number): Promise<ProbedPath> {
  const res = await fetch(`${origin}${path}`, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'text/html,application/json;q=0.9,*/*;q=0.8' },
    redirect: 'follow',
  });
  const body = await res.text();
  const kind = classifyResponse(res.headers.get('content-type') ?? '', body);
  const title = kind === 'html' ? /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1]?.trim() : undefined;
  return { path, status: res.status, kind, ...(title ? { title } : {}) };
}

/** HTML, JSON or anything else, by content type and, when that is vague, by the body's first bytes. */
export function classifyResponse(contentType: string, body: string): ProbedPath['kind'] {
  const type = contentType.toLowerCase();
  if (type.includes('html')) return 'html';
  if (type.includes('json')) return 'json';
  const start = body.trimStart().slice(0, 15).toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html')) return 'html';
  if (start.startsWith('{') || start.startsWith('[')) {
    try {
      JSON.parse(body);
      return 'json';
    } catch {
      return 'other';
    }
  }
  return 'other';
}
