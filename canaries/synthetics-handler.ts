import type { Page } from 'playwright-core';
import { parseDuration } from '../core/duration.ts';
import { createRedactor } from '../core/redact.ts';
import type { SecretRef } from '../core/schema.ts';
import { expandHeaders, type ResolvedSecrets } from '../core/secrets.ts';
import { createCanaryHttp } from './canary-http.ts';
import type { CanaryContext, CanaryDefinition } from './define-canary.ts';
import { coverSecrets, createSecretTest } from './mask-secrets.ts';

/**
 * What our adapter uses of the runtime's `synthetics` object (`@aws/synthetics-playwright`, in the
 * Lambda layer of `syn-nodejs-playwright-5.1` and later): `executeStep(name, fn, stepConfig, page)`,
 * `launch()`, `newPage(browser)`, `close()`. Typed loosely so this file needs no Playwright.
 */
export interface SyntheticsRuntime {
  executeStep<T>(
    name: string,
    fn: () => Promise<T>,
    stepConfig?: Record<string, unknown>,
    page?: unknown,
  ): Promise<T>;
  launch(options?: Record<string, unknown>): Promise<unknown>;
  newPage(browser: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export interface SyntheticsHandlerOptions {
  /** Target baked in at package time; `OPSPROOF_BASE_URL` (a canary environment variable) wins. */
  baseUrl?: string;
  /** Environment name; `OPSPROOF_ENV` wins. */
  env?: string;
  /** Step timeout when the canary sets none. @defaultValue '30s' */
  stepTimeout?: string;
  /**
   * The environment's headers, sent on every request and page; `${secret:NAME}` is expanded per run.
   * `OPSPROOF_HEADERS` (JSON, set by infra) wins.
   */
  headers?: Record<string, string>;
  /** References of the secrets the headers use; `OPSPROOF_SECRETS` (JSON, set by infra) wins. */
  secrets?: Record<string, SecretRef>;
  region?: string;
  /**
   * Reads the referenced secrets (Secrets Manager, SSM) at the start of each run: values are never
   * packaged, and a rotated secret is picked up by the next run. `resolveSecrets` of core/secrets.ts.
   */
  resolveSecrets?: (env: {
    name: string;
    secrets: Record<string, SecretRef>;
    region?: string;
  }) => Promise<ResolvedSecrets>;
}

function jsonVariable<T>(name: string): T | undefined {
  const text = process.env[name];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`the canary environment variable ${name} is not JSON`);
  }
}

/**
 * Covers what shows a secret before the runtime's failure screenshot; when the page cannot be read,
 * it is replaced by a blank one, so the screenshot shows nothing rather than everything.
 */
async function coverBeforeScreenshot(
  page: Page,
  showsSecret: (text: string) => boolean,
): Promise<(() => Promise<void>) | undefined> {
  try {
    return await coverSecrets(page, showsSecret);
  } catch {
    await page.goto('about:blank', { timeout: 5_000 }).catch(() => undefined);
    return undefined;
  }
}

interface TimeoutablePage {
  setDefaultTimeout?(ms: number): void;
  setDefaultNavigationTimeout?(ms: number): void;
}

/**
 * Adapts a `defineCanary` value onto CloudWatch Synthetics' Playwright runtime: each `step(name, fn)`
 * becomes `synthetics.executeStep(name, fn, stepConfig, page)` (1:1, so the runtime's step metrics,
 * screenshots and report carry our step names); a thrown step rejects the handler, which the runtime
 * records as a failed run. The browser comes from `synthetics.launch()` / `newPage()` (the runtime's
 * own Chromium), never from the zip. The runtime takes the failure screenshot itself and offers no
 * mask option, so a failing browser step covers secrets in the page before its error reaches the
 * runtime, and uncovers them once the runtime is done with the step.
 */
export function createSyntheticsHandler(
  definition: CanaryDefinition,
  synthetics: SyntheticsRuntime,
  options: SyntheticsHandlerOptions = {},
): () => Promise<void> {
  const { name, type } = definition.options;
  const stepTimeoutMs =
    parseDuration(definition.options.stepTimeout ?? options.stepTimeout ?? '30s') ?? 30_000;
  const stepConfig = {
    continueOnStepFailure: false,
    screenshotOnStepFailure: type === 'browser',
    screenshotOnStepSuccess: false,
    screenshotOnStepStart: false,
    stepSuccessMetric: true,
    stepDurationMetric: true,
    stepsReport: true,
  };
  return async function handler(): Promise<void> {
    const baseUrl = (process.env.OPSPROOF_BASE_URL ?? options.baseUrl ?? '').replace(/\/+$/, '');
    if (!baseUrl) {
      throw new Error(
        `canary ${name}: no target; set the OPSPROOF_BASE_URL environment variable of the canary`,
      );
    }
    const env = process.env.OPSPROOF_ENV ?? options.env ?? 'aws';
    const refs = jsonVariable<Record<string, SecretRef>>('OPSPROOF_SECRETS') ?? options.secrets ?? {};
    let resolved: ResolvedSecrets = {};
    if (Object.keys(refs).length > 0) {
      if (!options.resolveSecrets)
        throw new Error(`canary ${name}: packaged without the secret reader; package it again`);
      resolved = await options.resolveSecrets({
        name: env,
        secrets: refs,
        ...(options.region ? { region: options.region } : {}),
      });
    }
    const headers = expandHeaders(jsonVariable('OPSPROOF_HEADERS') ?? options.headers, resolved);
    // The same judge as the local runner: the secret values, then the credential patterns.
    const redact = createRedactor({ secrets: Object.values(resolved) }).text;
    const showsSecret = createSecretTest(redact);
    const log = (line: string) => console.log(redact(line));
    let launched = false;
    let page: unknown;
    try {
      if (type === 'browser') {
        const browser = await synthetics.launch();
        launched = true;
        page = await synthetics.newPage(browser);
        (page as TimeoutablePage).setDefaultTimeout?.(stepTimeoutMs);
        (page as TimeoutablePage).setDefaultNavigationTimeout?.(stepTimeoutMs);
        if (Object.keys(headers).length > 0) await (page as Page).setExtraHTTPHeaders(headers);
      }
      let steps = 0;
      const http = createCanaryHttp({
        timeoutMs: () => stepTimeoutMs,
        headers,
        onRecord: (r) =>
          log(
            JSON.stringify({
              canary: name,
              method: r.method,
              url: r.url,
              status: r.status,
              durationMs: r.durationMs,
              error: r.error,
            }),
          ),
      });
      const step = async <R>(stepName: string, fn: () => Promise<R>): Promise<R> => {
        steps += 1;
        if (type !== 'browser' || !page) {
          return synthetics.executeStep(stepName, () => redactErrors(fn, redact), stepConfig, page);
        }
        let uncover: (() => Promise<void>) | undefined;
        const masked = async (): Promise<R> => {
          try {
            return await fn();
          } catch (error) {
            // The runtime screenshots the page once this rejects: what shows a secret is covered first.
            uncover = await coverBeforeScreenshot(page as Page, showsSecret);
            throw redactError(error, redact);
          }
        };
        try {
          return await synthetics.executeStep(stepName, masked, stepConfig, page);
        } finally {
          await uncover?.();
        }
      };
      const context = { http, step, baseUrl, env, page, log: (m: string) => log(`${name}: ${m}`) };
      await definition.fn(context as CanaryContext);
      if (steps === 0) throw new Error(`canary ${name} ran no steps; wrap each check in step(name, fn)`);
    } catch (error) {
      // The runtime logs the handler's error and writes it into its report: no secret in either.
      throw redactError(error, redact);
    } finally {
      if (launched) await synthetics.close();
    }
  };
}

/** The error with the secrets taken out of its message and stack (the runtime logs both). */
function redactError(error: unknown, redact: (text: string) => string): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? redact(error) : error;
  error.message = redact(error.message);
  if (error.stack) error.stack = redact(error.stack);
  return error;
}

async function redactErrors<R>(fn: () => Promise<R>, redact: (text: string) => string): Promise<R> {
  try {
    return await fn();
  } catch (error) {
    throw redactError(error, redact);
  }
}
