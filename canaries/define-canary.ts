import type { Page } from 'playwright-core';

/** Options of one canary. Names map to Synthetics canary names (lowercase, digits, - and _, ≤ 21 chars deployed). */
export interface CanaryOptions<T extends CanaryType = CanaryType> {
  name: string;
  /** `browser` gets a Playwright page; `api` only `http`. */
  type: T;
  /** Synthetics schedule. @defaultValue 'rate(5 minutes)' */
  schedule?: string;
  /** Retries of a failed run (0–2, as Synthetics' auto-retry). @defaultValue the suite's `canaries.retries` */
  retries?: number;
  /** Timeout of one run. @defaultValue the suite's `canaries.timeout` */
  timeout?: string;
  /** Timeout of one step. @defaultValue the suite's `canaries.stepTimeout` */
  stepTimeout?: string;
  /** Tags passed to Synthetics. */
  tags?: Record<string, string>;
}

export type CanaryType = 'browser' | 'api';

/** A recorded HTTP response: status and timing are kept for the step's report. */
export interface CanaryResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text (truncated to 1 MiB). */
  body: string;
  durationMs: number;
  json<T = unknown>(): T;
}

export interface CanaryRequestInit {
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body?: string | Record<string, unknown> | unknown[];
  /** @defaultValue the step timeout */
  timeoutMs?: number;
}

/** A fetch-like client whose requests are recorded (status, timing) on the current step. */
export interface CanaryHttp {
  request(method: string, url: string, init?: CanaryRequestInit): Promise<CanaryResponse>;
  get(url: string, init?: CanaryRequestInit): Promise<CanaryResponse>;
  post(url: string, body?: CanaryRequestInit['body'], init?: CanaryRequestInit): Promise<CanaryResponse>;
}

export interface CanaryContextBase {
  http: CanaryHttp;
  /** Runs a named step; maps 1:1 onto Synthetics' `executeStep`. */
  step<R>(name: string, fn: () => Promise<R>): Promise<R>;
  /** Base URL of the environment under test, without a trailing slash. */
  baseUrl: string;
  /** Name of the environment (or `url` for ad-hoc runs). */
  env: string;
  log(message: string): void;
}

export type CanaryContext<T extends CanaryType = CanaryType> = T extends 'browser'
  ? CanaryContextBase & { page: Page }
  : CanaryContextBase & { page?: undefined };

export type CanaryFn<T extends CanaryType = CanaryType> = (context: CanaryContext<T>) => Promise<void>;

/** What `defineCanary` returns: plain data the runners and the Synthetics adapter recognise. */
export interface CanaryDefinition<T extends CanaryType = CanaryType> {
  readonly kind: 'opsproof.canary';
  readonly options: CanaryOptions<T>;
  readonly fn: CanaryFn<T>;
}

/**
 * Declares a canary: one async function with named steps.
 *
 * @example
 * export default defineCanary({ name: 'health', type: 'api' }, async ({ http, step, baseUrl }) => {
 *   await step('ready', async () => {
 *     const res = await http.get(`${baseUrl}/health/ready`);
 *     if (res.status !== 200) throw new Error(`ready returned ${res.status}`);
 *   });
 * });
 */
export function defineCanary<T extends CanaryType>(
  options: CanaryOptions<T>,
  fn: CanaryFn<T>,
): CanaryDefinition<T> {
  return { kind: 'opsproof.canary', options, fn };
}

export function isCanaryDefinition(value: unknown): value is CanaryDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'opsproof.canary' &&
    typeof (value as { fn?: unknown }).fn === 'function'
  );
}
