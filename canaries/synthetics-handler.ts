import type { Page } from 'playwright-core';
import { parseDuration } from '../core/duration.ts';
import { createRedactor } from '../core/redact.ts';
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
}

/**
 * In AWS the canary knows no secret values (none are packaged, none are resolved there), so the
 * redactor's credential patterns decide, and password fields are always covered.
 */
const showsSecret = createSecretTest(createRedactor().text);

/**
 * Covers what shows a secret before the runtime's failure screenshot; when the page cannot be read,
 * it is replaced by a blank one, so the screenshot shows nothing rather than everything.
 */
async function coverBeforeScreenshot(page: Page): Promise<(() => Promise<void>) | undefined> {
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
    let launched = false;
    let page: unknown;
    try {
      if (type === 'browser') {
        const browser = await synthetics.launch();
        launched = true;
        page = await synthetics.newPage(browser);
        (page as TimeoutablePage).setDefaultTimeout?.(stepTimeoutMs);
        (page as TimeoutablePage).setDefaultNavigationTimeout?.(stepTimeoutMs);
      }
      let steps = 0;
      const http = createCanaryHttp({
        timeoutMs: () => stepTimeoutMs,
        onRecord: (r) =>
          console.log(
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
        if (type !== 'browser' || !page) return synthetics.executeStep(stepName, fn, stepConfig, page);
        let uncover: (() => Promise<void>) | undefined;
        const masked = async (): Promise<R> => {
          try {
            return await fn();
          } catch (error) {
            // The runtime screenshots the page once this rejects: what shows a secret is covered first.
            uncover = await coverBeforeScreenshot(page as Page);
            throw error;
          }
        };
        try {
          return await synthetics.executeStep(stepName, masked, stepConfig, page);
        } finally {
          await uncover?.();
        }
      };
      const context = { http, step, baseUrl, env, page, log: (m: string) => console.log(`${name}: ${m}`) };
      await definition.fn(context as CanaryContext);
      if (steps === 0) throw new Error(`canary ${name} ran no steps; wrap each check in step(name, fn)`);
    } finally {
      if (launched) await synthetics.close();
    }
  };
}
