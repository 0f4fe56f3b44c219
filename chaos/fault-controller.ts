import { EnvironmentError } from '../core/errors.ts';
import type { AddFaultOptions, Fault, FaultGateway } from './fault-gateway.ts';
import { type FaultSpec, formatFaultSpec } from './parse-fault-spec.ts';

/**
 * How an engine drives a fault gateway: the object in this process, or its control API. The engine
 * owns the `fault.start` / `fault.end` of what it adds: a gateway in this process does not emit them,
 * one behind its control API only on its own timeline (the `chaos gateway` command's).
 */
export interface FaultController {
  /** Where faults land (the gateway's URL, or its control URL). */
  readonly where: string;
  addFault(spec: FaultSpec, ttlMs: number, options?: AddFaultOptions): Promise<Fault>;
  /**
   * Removes a fault and answers its final record (what it matched and saw), also when the gateway's
   * TTL ended it first; `undefined` when the gateway no longer knows it.
   */
  removeFault(id: string): Promise<Fault | undefined>;
  faults(): Promise<Fault[]>;
}

export function createInProcessController(gateway: FaultGateway): FaultController {
  return {
    where: gateway.url,
    addFault: async (spec, ttlMs, options) => gateway.addFault(spec, ttlMs, { ...options, announce: false }),
    removeFault: async (id) => {
      gateway.removeFault(id, 'cleared');
      return gateway.fault(id);
    },
    faults: async () => gateway.faults(),
  };
}

/**
 * A client of the control API (`GET/POST /faults`, `DELETE /faults/:id`) of a running gateway;
 * `where` names the gateway in journals (its proxy URL, when known).
 */
export function createControlApiController(controlUrl: string, where?: string): FaultController {
  const base = controlUrl.replace(/\/$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(5000),
      });
    } catch (error) {
      throw new EnvironmentError(
        'target-unreachable',
        `fault gateway control API at ${base} is unreachable`,
        {
          cause: error,
          hint: 'start one with `opsproof chaos gateway --upstream URL`',
        },
      );
    }
    const text = await res.text();
    const json = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (res.status >= 400 && !(res.status === 404 && (method === 'DELETE' || path.startsWith('/faults/')))) {
      const message = (json as { error?: { message?: string } } | undefined)?.error?.message ?? text;
      throw new EnvironmentError(
        'other',
        `fault gateway ${method} ${path} answered ${res.status}: ${message}`,
      );
    }
    return json;
  };
  return {
    where: where ?? base,
    addFault: async (spec, ttlMs, options) =>
      // SPEC text is the control API's wire format.
      (await call('POST', '/faults', { spec: formatFaultSpec(spec), ttl: ttlMs, ...options })) as Fault,
    removeFault: async (id) => {
      const path = `/faults/${encodeURIComponent(id)}`;
      await call('DELETE', path);
      // The gateway keeps an ended fault's record, with what it matched, for this read.
      const fault = (await call('GET', path)) as Fault | { error: unknown } | undefined;
      return fault && 'id' in fault ? fault : undefined;
    },
    faults: async () => ((await call('GET', '/faults')) as { faults: Fault[] }).faults,
  };
}
