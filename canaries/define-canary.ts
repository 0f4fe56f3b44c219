import type { Page } from 'playwright-core';

/** Options of one canary. Names follow AWS's rule for Synthetics canary names ({@link CANARY_NAME_RULE}). */
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
  /**
   * The environment's named target it runs against (`environments.X.targets`); `baseUrl` is that
   * target's URL. @defaultValue the first target
   */
  target?: string;
  /** Memory of one deployed run in MB (Synthetics: 960–3008, a multiple of 64). @defaultValue 1024 */
  memoryMb?: number;
  /** Synthetics runtime of the deployed canary, e.g. `syn-nodejs-playwright-5.1`. @defaultValue the pinned one */
  runtimeVersion?: string;
}

/**
 * AWS's rule for `AWS::Synthetics::Canary` names (CreateCanary, and aws-cdk-lib's check): lowercase
 * letters, digits, hyphens and underscores, 1 to 255 characters. Checked where the canary is defined,
 * so a name that runs locally also deploys (the deployed name adds `aws.canaryPrefix`, checked at synth).
 */
export const CANARY_NAME_RULE = {
  pattern: /^[0-9a-z_-]{1,255}$/,
  text: 'lowercase letters, digits, - and _, 1 to 255 characters (AWS Synthetics canary names)',
} as const;

/** Why the options cannot be deployed to Synthetics, or undefined. */
export function checkCanaryOptions(
  options: Pick<CanaryOptions, 'name' | 'retries' | 'memoryMb' | 'runtimeVersion'>,
): string | undefined {
  if (typeof options.name !== 'string' || !CANARY_NAME_RULE.pattern.test(options.name))
    return `canary name "${String(options.name)}" is not valid: ${CANARY_NAME_RULE.text}`;
  if (
    options.retries !== undefined &&
    (!Number.isInteger(options.retries) || options.retries < 0 || options.retries > 2)
  )
    return `canary ${options.name}: retries must be 0, 1 or 2 (Synthetics' auto-retry), got ${options.retries}`;
  if (
    options.runtimeVersion !== undefined &&
    !/^syn-nodejs-playwright-\d+\.\d+$/.test(options.runtimeVersion)
  )
    return `canary ${options.name}: runtimeVersion must be a Synthetics Playwright runtime such as syn-nodejs-playwright-6.0, got ${options.runtimeVersion}`;
  const mb = options.memoryMb;
  if (mb !== undefined && (!Number.isInteger(mb) || mb < 960 || mb > 3008 || mb % 64 !== 0))
    return `canary ${options.name}: memoryMb must be a multiple of 64 from 960 to 3008 (Synthetics), got ${mb}`;
  return undefined;
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
  const problem = checkCanaryOptions(options);
  if (problem) throw new Error(problem);
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
