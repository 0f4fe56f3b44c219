/**
 * The local canary runner: browser and API canaries, steps, timeouts, retries, failure artifacts
 * (masked screenshots, snippets, traces) and Synthetics-shaped metrics. One file, over 400 lines,
 * because a failed step's path (timeout, the pending Playwright call, artifact, retry) is one flow over
 * one canary's state; run-canaries-per-target.ts holds the grouping by target.
 */

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parseDuration } from '../core/duration.ts';
import { describeError } from '../core/errors.ts';
import { createRedactor } from '../core/redact.ts';
import type { Artifact, CanaryRunResult, CanaryStepResult, StageName } from '../core/run-result.ts';
import type { CanariesConfig } from '../core/schema.ts';
import type { Timeline } from '../core/timeline.ts';
import type { Telemetry } from '../telemetry/port.ts';
import { buildCanaryMetrics, SYNTHETICS_NAMESPACE } from './build-canary-metrics.ts';
import { createCanaryHttp, type HttpRecord } from './canary-http.ts';
import type { CanaryContext, CanaryDefinition } from './define-canary.ts';
import { formatStepError } from './format-step-error.ts';
import { launchChromium } from './launch-chromium.ts';
import type { CanaryLoadFailure, LoadedCanary } from './load-canaries.ts';
import { createSecretTest, takeMaskedScreenshot } from './mask-secrets.ts';
import { maskTrace } from './mask-trace.ts';
import { createMachinePathScrubber, machineRoots } from './scrub-machine-paths.ts';

export interface RunCanariesOptions {
  canaries: readonly LoadedCanary[];
  /** Files that failed to load: each becomes a failed canary result, the others still run. */
  failures?: readonly CanaryLoadFailure[];
  /** Base URL of the target (no trailing slash needed). */
  baseUrl: string;
  /** Environment name (`url` for ad-hoc runs). */
  env: string;
  /** The suite's `canaries` section: concurrency, retries and timeouts. */
  config: Pick<CanariesConfig, 'concurrency' | 'retries' | 'timeout' | 'stepTimeout'>;
  timeline: Timeline;
  /** Metrics go here (`CloudWatchSynthetics`), when given. */
  telemetry?: Telemetry;
  /** Run directory: artifacts are written under `<outDir>/canaries/<name>/`. */
  outDir: string;
  stage?: StageName;
  signal?: AbortSignal;
  /** Headers every request of `http` carries (the environment's `headers`). */
  headers?: Record<string, string>;
  /**
   * Removes secrets from failure snippets before they are written; screenshots mask every element whose
   * text it would change. @defaultValue the redactor's credential patterns, no secret values
   */
  redact?: (text: string) => string;
  /** Pause before the first retry of a failed canary, doubled for each further one (watch mode). @defaultValue 0 */
  retryBackoffMs?: number;
  /** A browser to reuse (watch mode); otherwise one is launched for the run when needed. */
  browser?: Browser;
  executablePath?: string;
}

export interface CanariesOutcome {
  canaries: CanaryRunResult[];
  artifacts: Artifact[];
}

/** How long a step that timed out waits for its pending Playwright call to say what it waited for. */
const PENDING_CALL_GRACE_MS = 2_000;

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'step'
  );
}

class TimeoutError extends Error {
  override readonly name = 'CanaryTimeoutError';
}

/** Rejects with `message` after `ms` (or when `signal` aborts), whichever comes first. */
function withTimeout<T>(work: Promise<T>, ms: number, message: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(message)), ms);
    const onAbort = () => reject(new Error('interrupted'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function durationMs(value: string | undefined, fallback: string): number {
  return parseDuration(value ?? fallback) ?? parseDuration(fallback) ?? 30_000;
}

interface AttemptOutcome {
  status: 'passed' | 'failed';
  steps: CanaryStepResult[];
  error?: string;
  artifacts: Artifact[];
}

interface StepState {
  name: string;
  started: number;
  records: HttpRecord[];
}

/** Runs one attempt of one canary in its own browser context (browser canaries). */
async function runAttempt(
  definition: CanaryDefinition,
  file: string | undefined,
  attempt: number,
  options: RunCanariesOptions,
  browser: Browser | undefined,
): Promise<AttemptOutcome> {
  const { name, type } = definition.options;
  const stepTimeoutMs = durationMs(definition.options.stepTimeout, options.config.stepTimeout);
  const runTimeoutMs = durationMs(definition.options.timeout, options.config.timeout);
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const steps: CanaryStepResult[] = [];
  const artifacts: Artifact[] = [];
  const stack: StepState[] = [];
  let firstFailure: { step: string; reason: string; result: CanaryStepResult } | undefined;
  const reasonOf = (error: unknown) => formatStepError(error, file);
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;

  let context: BrowserContext | undefined;
  let page: Page | undefined;

  // The run's redactor decides what a screenshot masks; without one, its credential patterns still apply.
  const showsSecret = createSecretTest(options.redact ?? createRedactor().text);
  const writeArtifact = async (step: StepState, reason: string): Promise<void> => {
    const dir = join('canaries', slug(name));
    const base = `attempt${attempt}-${slug(step.name)}`;
    await mkdir(join(options.outDir, dir), { recursive: true });
    if (type === 'browser' && page && !page.isClosed()) {
      const path = join(dir, `${base}.png`);
      try {
        // Masked before it is written: redaction cannot reach into an image afterwards.
        const png = await takeMaskedScreenshot(page, { showsSecret, timeoutMs: 5_000, fullPage: true });
        await writeFile(join(options.outDir, path), png);
        artifacts.push({ name: `${name}: ${step.name} (screenshot)`, path, kind: 'screenshot' });
        return;
      } catch {
        // A page that cannot render or be masked (crashed, closed, kept changing) gets the text snippet below.
      }
    }
    const last = step.records.at(-1);
    const lines = [
      `canary: ${name}`,
      `step: ${step.name}`,
      `reason: ${reason}`,
      ...(last
        ? [
            `request: ${last.method} ${last.url}`,
            `status: ${last.status ?? 'no response'}${last.error ? ` (${last.error})` : ''}`,
            `duration: ${last.durationMs} ms`,
            '',
            last.bodySnippet,
          ]
        : []),
    ];
    const path = join(dir, `${base}.txt`);
    const snippet = `${lines.join('\n')}\n`;
    await writeFile(join(options.outDir, path), options.redact ? options.redact(snippet) : snippet);
    artifacts.push({ name: `${name}: ${step.name} (response)`, path, kind: 'snippet' });
  };

  // Set once the attempt is over: a step still pending after a run timeout must not add itself later.
  let closed = false;
  const finishStep = async (
    state: StepState,
    status: 'passed' | 'failed',
    error?: unknown,
    withArtifact: boolean | Artifact[] = true,
  ): Promise<void> => {
    if (closed) return;
    const reason = error === undefined ? undefined : typeof error === 'string' ? error : reasonOf(error);
    const result: CanaryStepResult = {
      name: state.name,
      status,
      durationMs: Math.round(performance.now() - state.started),
      ...(reason === undefined ? {} : { error: reason }),
    };
    steps.push(result);
    if (status === 'failed' && reason !== undefined && withArtifact !== false) {
      firstFailure ??= { step: state.name, reason, result };
      const before = artifacts.length;
      if (withArtifact === true) await writeArtifact(state, reason).catch(() => undefined);
      else artifacts.push(...withArtifact);
      result.artifacts = artifacts.slice(before).map((a) => a.path);
    }
    options.timeline.emit({
      type: 'canary.step',
      canary: name,
      step: state.name,
      status,
      durationMs: result.durationMs,
      ...(reason === undefined ? {} : { error: reason }),
    });
  };
  const leave = (state: StepState) => {
    const index = stack.indexOf(state);
    if (index >= 0) stack.splice(index, 1);
  };

  const http = createCanaryHttp({
    onRecord: (record) => stack.at(-1)?.records.push(record),
    timeoutMs: () => stepTimeoutMs,
    signal,
    ...(options.headers ? { headers: options.headers } : {}),
  });

  // A step that timed out in the browser: the screenshot is taken while the page still shows the wait,
  // then the page is closed, which makes the pending Playwright call fail with its call log — the
  // locator it was waiting for (as Playwright's test runner reports a test timeout).
  let explained: Artifact[] = [];
  const explainTimeout = async (state: StepState, work: Promise<unknown>, timeout: TimeoutError) => {
    const before = artifacts.length;
    await writeArtifact(state, timeout.message).catch(() => undefined);
    explained = artifacts.splice(before);
    await page?.close().catch(() => undefined);
    const pending = await withTimeout(
      work.then(
        () => undefined,
        (error: unknown) => error,
      ),
      PENDING_CALL_GRACE_MS,
      'no answer',
    ).catch(() => undefined);
    return pending === undefined || pending instanceof StepFailure
      ? timeout.message
      : // Its "page closed" is our doing; what it was waiting for is the news.
        `${timeout.message} in ${reasonOf(pending).replace(/: Target page, context or browser has been closed/, '')}`;
  };

  const step = async <R>(stepName: string, fn: () => Promise<R>): Promise<R> => {
    if (typeof stepName !== 'string' || stepName.trim() === '') {
      throw new Error('step(name, fn) needs a non-empty name');
    }
    const state: StepState = { name: stepName, started: performance.now(), records: [] };
    stack.push(state);
    const work = Promise.resolve().then(fn);
    try {
      const value = await withTimeout(work, stepTimeoutMs, `timed out after ${stepTimeoutMs} ms`, signal);
      leave(state);
      await finishStep(state, 'passed');
      return value;
    } catch (error) {
      leave(state);
      if (error instanceof TimeoutError && page && !page.isClosed() && !closed) {
        const reason = await explainTimeout(state, work, error);
        await finishStep(state, 'failed', reason, explained);
        throw new StepFailure(stepName, reason, error);
      }
      // An inner step's failure fails this step too, but its artifact and reason stay the inner one's.
      await finishStep(state, 'failed', error, !(error instanceof StepFailure));
      throw error instanceof StepFailure ? error : new StepFailure(stepName, reasonOf(error), error);
    }
  };

  let status: 'passed' | 'failed' = 'passed';
  let error: string | undefined;
  try {
    if (type === 'browser') {
      if (!browser) throw new Error('no browser for a browser canary');
      context = await browser.newContext({
        ...(options.headers ? { extraHTTPHeaders: options.headers } : {}),
      });
      // Recorded for every attempt, kept only when it fails. No screencast frames: they are images
      // the redactor cannot reach; the DOM snapshots show the same page as text it can.
      await context.tracing.start({ snapshots: true, screenshots: false, sources: false });
      page = await context.newPage();
      page.setDefaultTimeout(stepTimeoutMs);
      page.setDefaultNavigationTimeout(stepTimeoutMs);
    }
    const canaryContext = {
      http,
      step,
      baseUrl,
      env: options.env,
      log: (message: string) => options.timeline.emit({ type: 'progress', message: `${name}: ${message}` }),
      page,
    } as CanaryContext;
    await withTimeout(
      Promise.resolve().then(() => definition.fn(canaryContext)),
      runTimeoutMs,
      `canary timed out after ${runTimeoutMs} ms`,
      options.signal,
    );
    if (steps.length === 0) {
      status = 'failed';
      error = 'the canary ran no steps; wrap each check in step(name, fn)';
    }
  } catch (thrown) {
    status = 'failed';
    // The run timed out inside a step: that step is where it failed.
    for (const open of stack.splice(0).reverse()) await finishStep(open, 'failed', thrown);
    if (!firstFailure) error = `outside any step: ${reasonOf(thrown)}`;
  } finally {
    closed = true;
    controller.abort();
    if (context) {
      const failed = status === 'failed' || firstFailure !== undefined;
      const trace = failed ? await saveTrace(context, name, attempt, options) : undefined;
      if (!failed) await context.tracing.stop().catch(() => undefined);
      if (trace) {
        artifacts.push(trace);
        firstFailure?.result.artifacts?.push(trace.path);
      }
      await context.close().catch(() => undefined);
    }
  }
  if (firstFailure) {
    status = 'failed';
    error = `step "${firstFailure.step}" failed: ${firstFailure.reason}`;
  }
  return { status, steps, artifacts, ...(error === undefined ? {} : { error }) };
}

/**
 * Stops the context's trace into `canaries/<name>/attempt<N>-trace.zip`, secrets masked before it is
 * written (as screenshots are). A trace that cannot be saved is left out; the run goes on.
 */
async function saveTrace(
  context: BrowserContext,
  name: string,
  attempt: number,
  options: RunCanariesOptions,
): Promise<Artifact | undefined> {
  const scratch = await mkdtemp(join(tmpdir(), 'opsproof-trace-'));
  try {
    const raw = join(scratch, 'trace.zip');
    await context.tracing.stop({ path: raw });
    // Its call stacks and errors name the machine's folders (the suite, opsproof, $HOME): named relatively.
    const redact = options.redact ?? createRedactor().text;
    const scrub = createMachinePathScrubber(machineRoots());
    const masked = await maskTrace(await readFile(raw), (text) => scrub(redact(text)));
    const dir = join('canaries', slug(name));
    const path = join(dir, `attempt${attempt}-trace.zip`);
    await mkdir(join(options.outDir, dir), { recursive: true });
    await writeFile(join(options.outDir, path), masked);
    return { name: `${name}: attempt ${attempt} (Playwright trace)`, path, kind: 'trace' };
  } catch {
    return undefined;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Thrown out of `step()` so the canary's own code sees which step failed (and does not record it twice). */
class StepFailure extends Error {
  override readonly name = 'StepFailure';
  readonly step: string;
  constructor(step: string, reason: string, cause: unknown) {
    super(`step "${step}" failed: ${reason}`, { cause });
    this.step = step;
  }
}

/** Runs one canary with its retries (as Synthetics' auto-retry: the last attempt decides). */
async function runOne(
  loaded: LoadedCanary,
  options: RunCanariesOptions,
  browser: Browser | undefined,
): Promise<{ result: CanaryRunResult; artifacts: Artifact[] }> {
  const { name, type } = loaded.definition.options;
  const retries = Math.min(2, Math.max(0, loaded.definition.options.retries ?? options.config.retries));
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const artifacts: Artifact[] = [];
  let outcome: AttemptOutcome | undefined;
  let attempt = 0;
  while (attempt <= retries && !options.signal?.aborted) {
    attempt += 1;
    options.timeline.emit({ type: 'canary.start', canary: name, attempt });
    outcome = await runAttempt(loaded.definition, loaded.file, attempt, options, browser);
    artifacts.push(...outcome.artifacts);
    if (outcome.status === 'passed') break;
    if (options.retryBackoffMs && attempt <= retries) {
      await sleep(options.retryBackoffMs * 2 ** (attempt - 1), undefined, { signal: options.signal }).catch(
        () => undefined,
      );
    }
  }
  const durationMs = Math.round(performance.now() - started);
  const result: CanaryRunResult = {
    name,
    type,
    status: outcome?.status ?? 'failed',
    startedAt,
    durationMs,
    attempts: attempt,
    steps: outcome?.steps ?? [],
    ...(outcome?.error ? { error: outcome.error } : outcome ? {} : { error: 'interrupted before it ran' }),
    ...(options.stage ? { stage: options.stage } : {}),
  };
  options.timeline.emit({
    type: 'canary.end',
    canary: name,
    status: result.status,
    durationMs,
    ...(result.error ? { error: result.error } : {}),
    ...(options.stage ? { stage: options.stage } : {}),
  });
  return { result, artifacts };
}

/** A canary file that did not load, reported as a failed canary so the run still completes. */
function loadFailureResult(failure: CanaryLoadFailure, options: RunCanariesOptions): CanaryRunResult {
  const error = failure.error;
  options.timeline.emit({
    type: 'canary.end',
    canary: failure.name,
    status: 'failed',
    durationMs: 0,
    error,
    ...(options.stage ? { stage: options.stage } : {}),
  });
  return {
    name: failure.name,
    type: failure.type ?? 'api',
    status: 'failed',
    startedAt: new Date().toISOString(),
    durationMs: 0,
    attempts: 0,
    steps: [{ name: '(load)', status: 'failed', durationMs: 0, error }],
    error,
    ...(options.stage ? { stage: options.stage } : {}),
  };
}

/**
 * Runs canaries locally: one Chromium per run (only when a browser canary is selected), a context
 * per canary, up to `concurrency` canaries at once. Emits `canary.*` events, publishes
 * `SuccessPercent`/`Duration` into the telemetry port, writes failure artifacts, and returns the
 * results in the order given. Failing canaries never throw; only a missing browser does.
 */
export async function runCanaries(options: RunCanariesOptions): Promise<CanariesOutcome> {
  const results: CanaryRunResult[] = (options.failures ?? []).map((f) => loadFailureResult(f, options));
  const artifacts: Artifact[] = [];
  const needsBrowser = options.canaries.some((c) => c.definition.options.type === 'browser');
  const launched =
    needsBrowser && !options.browser
      ? await launchChromium(options.executablePath ? { executablePath: options.executablePath } : {})
      : undefined;
  const browser = options.browser ?? launched?.browser;
  const ordered: (CanaryRunResult | undefined)[] = new Array(options.canaries.length);
  try {
    let next = 0;
    const worker = async () => {
      while (next < options.canaries.length && !options.signal?.aborted) {
        const index = next++;
        const loaded = options.canaries[index];
        if (!loaded) continue;
        const { result, artifacts: written } = await runOne(loaded, options, browser);
        ordered[index] = result;
        artifacts.push(...written);
        await publishMetrics(result, options);
      }
    };
    const workers = Math.max(1, Math.min(options.config.concurrency, options.canaries.length));
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    await launched?.close();
  }
  results.push(...ordered.filter((r): r is CanaryRunResult => r !== undefined));
  return { canaries: results, artifacts };
}

async function publishMetrics(result: CanaryRunResult, options: RunCanariesOptions): Promise<void> {
  if (!options.telemetry) return;
  try {
    await options.telemetry.putMetricData(SYNTHETICS_NAMESPACE, buildCanaryMetrics(result));
  } catch (error) {
    options.timeline.emit({
      type: 'progress',
      level: 'warn',
      message: `canary ${result.name}: publishing metrics failed: ${describeError(error)}`,
    });
  }
}
