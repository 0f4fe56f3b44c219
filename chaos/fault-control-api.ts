/** The gateway's control API (`GET/POST /faults`, `GET/DELETE /faults/:id`, `POST /reset`, `GET /health`), JSON errors. */
import type http from 'node:http';
import { parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import { BodyTooLargeError, readBody } from '../core/read-body.ts';
import type { AddFaultOptions, Fault, FaultEndReason } from './fault-registry.ts';
import { type FaultSpec, FaultSpecError, parseFaultSpec } from './parse-fault-spec.ts';

/** What the control API drives: the gateway's own operations (a `FaultGateway` is one). */
export interface ControlledGateway {
  readonly url: string;
  readonly upstream: string;
  addFault(spec: FaultSpec, ttlMs: number | undefined, options: AddFaultOptions): Fault;
  removeFault(id: string, reason: FaultEndReason): boolean;
  reset(reason: FaultEndReason): number;
  faults(): Fault[];
  fault(id: string): Fault | undefined;
}

const MAX_REQUEST_BYTES = 64 * 1024;

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The control API's request handler. The SPEC text of `POST /faults` is parsed here (the wire
 * format); the gateway takes the value. Bad input answers 400 with `{"error":{"code","message"}}`.
 */
export function createFaultControlApi(
  gateway: ControlledGateway,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0]!.replace(/\/$/, '') || '/';
    if (path === '/faults' && req.method === 'GET') {
      return sendJson(res, 200, { faults: gateway.faults() });
    }
    if (path === '/faults' && req.method === 'POST') {
      const raw = (await readBody(req, MAX_REQUEST_BYTES)).toString('utf8');
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
      const fault = gateway.addFault(parseFaultSpec(spec), ttlMs, {
        ...(typeof experiment === 'string' ? { experiment } : {}),
        ...(typeof action === 'string' ? { action } : {}),
      });
      return sendJson(res, 201, fault);
    }
    const match = /^\/faults\/([^/]+)$/.exec(path);
    if (match && req.method === 'DELETE') {
      const id = decodeURIComponent(match[1]!);
      if (gateway.removeFault(id, 'cleared')) {
        res.writeHead(204);
        res.end();
        return;
      }
      return sendJson(res, 404, { error: { code: 'not-found', message: `no active fault ${id}` } });
    }
    if (match && req.method === 'GET') {
      const fault = gateway.fault(decodeURIComponent(match[1]!));
      if (fault) return sendJson(res, 200, fault);
      return sendJson(res, 404, {
        error: { code: 'not-found', message: `no active or recently ended fault ${match[1]}` },
      });
    }
    if (path === '/reset' && req.method === 'POST') {
      return sendJson(res, 200, { cleared: gateway.reset('cleared') });
    }
    if (path === '/health' && req.method === 'GET') {
      return sendJson(res, 200, { status: 'ok', upstream: gateway.upstream, url: gateway.url });
    }
    return sendJson(res, 404, {
      error: {
        code: 'not-found',
        message: `${req.method} ${path} is not part of the control API (GET/POST /faults, DELETE /faults/:id, POST /reset)`,
      },
    });
  };

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status =
        error instanceof UsageError || error instanceof SyntaxError || error instanceof BodyTooLargeError
          ? 400
          : 500;
      const code = error instanceof FaultSpecError ? 'bad-spec' : status === 400 ? 'bad-request' : 'internal';
      if (!res.headersSent) sendJson(res, status, { error: { code, message: (error as Error).message } });
    });
  };
}
