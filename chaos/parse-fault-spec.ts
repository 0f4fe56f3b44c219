import { UsageError } from '../core/errors.ts';

/**
 * The fault SPEC of DESIGN.md: `KIND[:key=value,…]`, e.g. `error:status=503,percent=50`,
 * `latency:ms=300,jitter=50,percent=100`, `reset:percent=10`, `blackhole:percent=5`, each optionally
 * filtered with `path=/api/*` and `method=POST`.
 */

export type FaultKind = 'latency' | 'error' | 'reset' | 'blackhole';
export const FAULT_KINDS: readonly FaultKind[] = ['latency', 'error', 'reset', 'blackhole'];

/** Which requests a fault applies to. */
export interface FaultMatch {
  /** Share of matching requests that get the fault, 0–100. @defaultValue 100 */
  percent: number;
  /** Path glob (`*` matches any characters, `/` included), compared with the path without query. */
  path?: string;
  /** HTTP method, upper case (`*` or absent = any). */
  method?: string;
}

export type FaultSpec =
  | ({ kind: 'latency'; ms: number; jitter: number } & FaultMatch)
  | ({ kind: 'error'; status: number; body?: string } & FaultMatch)
  | ({ kind: 'reset' } & FaultMatch)
  | ({ kind: 'blackhole' } & FaultMatch);

/**
 * The longest a gateway holds a fault: FIS caps an action at 12 hours, and a local action's fault
 * lives for its duration plus a few seconds, so 12 h plus a minute. Longer TTLs are refused rather
 * than handed to a timer (Node's overflow would end them after 1 ms).
 */
export const MAX_FAULT_TTL_MS = 12 * 3_600_000 + 60_000;

/** Why a fault TTL in milliseconds cannot be held, or undefined when it can. */
export function checkFaultTtl(ttlMs: number): string | undefined {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) return `fault TTL must be positive, got ${ttlMs}`;
  if (ttlMs > MAX_FAULT_TTL_MS)
    return `fault TTL ${ttlMs} ms is beyond the gateway's maximum of 12h1m (${MAX_FAULT_TTL_MS} ms; FIS caps an action at 12 hours)`;
  return undefined;
}

/** A SPEC that cannot be parsed. A usage error (exit 2); the control API answers 400. */
export class FaultSpecError extends UsageError {
  readonly spec: string;
  constructor(spec: string, message: string) {
    super(`fault spec ${JSON.stringify(spec)}: ${message}`, {
      hint: 'expected KIND[:key=value,…], e.g. error:status=503,percent=50 or latency:ms=300,jitter=50',
    });
    this.spec = spec;
  }
}

const COMMON_KEYS = ['percent', 'path', 'method'] as const;
const KIND_KEYS: Record<FaultKind, readonly string[]> = {
  latency: ['ms', 'jitter'],
  error: ['status', 'body'],
  reset: [],
  blackhole: [],
};

function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

/** Parses a SPEC string; throws {@link FaultSpecError} naming the bad kind, key or value. */
export function parseFaultSpec(input: string): FaultSpec {
  const text = input.trim();
  if (text === '') throw new FaultSpecError(input, 'empty');
  const colon = text.indexOf(':');
  const kind = (colon === -1 ? text : text.slice(0, colon)).trim().toLowerCase();
  if (!isFaultKind(kind)) {
    throw new FaultSpecError(input, `unknown kind "${kind}" (expected one of ${FAULT_KINDS.join(', ')})`);
  }
  const params = new Map<string, string>();
  const rest = colon === -1 ? '' : text.slice(colon + 1).trim();
  if (rest !== '') {
    for (const part of rest.split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new FaultSpecError(input, `expected key=value, got "${part}"`);
      const key = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      const allowed = [...KIND_KEYS[kind], ...COMMON_KEYS];
      if (!allowed.includes(key)) {
        throw new FaultSpecError(input, `unknown key "${key}" for ${kind} (expected ${allowed.join(', ')})`);
      }
      if (params.has(key)) throw new FaultSpecError(input, `key "${key}" given twice`);
      if (value === '') throw new FaultSpecError(input, `key "${key}" has no value`);
      params.set(key, value);
    }
  }

  const number = (key: string, min: number, max: number, integer = false): number | undefined => {
    const raw = params.get(key);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value) || value < min || value > max) {
      throw new FaultSpecError(input, `${key} must be a number from ${min} to ${max}, got "${raw}"`);
    }
    if (integer && !Number.isInteger(value))
      throw new FaultSpecError(input, `${key} must be a whole number, got "${raw}"`);
    return value;
  };

  const match: FaultMatch = { percent: number('percent', 0, 100) ?? 100 };
  const path = params.get('path');
  if (path !== undefined) {
    if (!path.startsWith('/') && path !== '*')
      throw new FaultSpecError(input, `path must start with "/", got "${path}"`);
    match.path = path;
  }
  const method = params.get('method');
  if (method !== undefined) {
    if (!/^([A-Za-z]+|\*)$/.test(method))
      throw new FaultSpecError(input, `method must be an HTTP method or "*", got "${method}"`);
    if (method !== '*') match.method = method.toUpperCase();
  }

  switch (kind) {
    case 'latency': {
      const ms = number('ms', 0, 3_600_000);
      if (ms === undefined) throw new FaultSpecError(input, 'latency needs ms=<milliseconds>');
      return { kind, ms, jitter: number('jitter', 0, 3_600_000) ?? 0, ...match };
    }
    case 'error': {
      const status = number('status', 400, 599, true) ?? 500;
      const body = params.get('body');
      return body === undefined ? { kind, status, ...match } : { kind, status, body, ...match };
    }
    case 'reset':
    case 'blackhole':
      return { kind, ...match };
  }
}

/** The canonical SPEC string of a fault (keys in a fixed order), as the control API shows it. */
export function formatFaultSpec(spec: FaultSpec): string {
  const parts: string[] = [];
  switch (spec.kind) {
    case 'latency':
      parts.push(`ms=${spec.ms}`);
      if (spec.jitter) parts.push(`jitter=${spec.jitter}`);
      break;
    case 'error':
      parts.push(`status=${spec.status}`);
      if (spec.body !== undefined) parts.push(`body=${spec.body}`);
      break;
  }
  parts.push(`percent=${spec.percent}`);
  if (spec.path !== undefined) parts.push(`path=${spec.path}`);
  if (spec.method !== undefined) parts.push(`method=${spec.method}`);
  return `${spec.kind}:${parts.join(',')}`;
}

/** A glob where `*` matches any run of characters (including `/`) as a RegExp. */
export function buildGlob(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
