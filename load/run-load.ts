import { request } from 'undici';
import { parseDurationStrict } from '../core/duration.ts';
import { EnvironmentError, UsageError } from '../core/errors.ts';
import type { LoadSummary } from '../core/run-result.ts';
import type { LoadProfile } from '../core/schema.ts';
import type { Threshold } from '../core/threshold.ts';
import type { Timeline } from '../core/timeline.ts';
import { runAutocannonEngine } from './autocannon-engine.ts';
import { findK6, runK6Engine } from './k6-engine.ts';
import { LoadInterruptedError } from './load-interrupted-error.ts';
import { runOpenEngine } from './open-engine.ts';

export const LOAD_ENGINES = ['open', 'autocannon', 'k6'] as const;
export type LoadEngine = (typeof LOAD_ENGINES)[number];

export interface RunLoadOptions {
  /** Base URL of the target. */
  target: string;
  timeline: Timeline;
  signal?: AbortSignal;
  /** Overrides the profile's engine. */
  engine?: string;
  /** Headers for every request (the environment's, secrets resolved). */
  headers?: Record<string, string>;
  /** Profile name, for events and reports. @defaultValue 'adhoc' */
  name?: string;
  /** KPIs: the k6 engine passes them to k6 as thresholds. */
  thresholds?: readonly Threshold[];
  /** Where the k6 engine keeps its script and summary. */
  workDir?: string;
}

/**
 * Runs a load profile with the chosen engine and returns its LoadSummary. Before any load the target
 * must answer (any HTTP status): an unreachable target is an EnvironmentError (exit 3), never a run
 * full of connection errors. Emits `load.start` and `load.end` around the engine's `load.tick`s;
 * rejects with the signal's reason when aborted.
 */
export async function runLoad(profile: LoadProfile, options: RunLoadOptions): Promise<LoadSummary> {
  const engine = (options.engine ?? profile.engine) as LoadEngine;
  if (!LOAD_ENGINES.includes(engine)) {
    throw new UsageError(`unknown load engine "${options.engine}"`, {
      hint: `use one of: ${LOAD_ENGINES.join(', ')}`,
    });
  }
  validateProfile(profile);
  if (engine === 'k6') findK6();
  await checkTargetReachable(options.target, options.signal);
  const name = options.name ?? 'adhoc';
  options.timeline.emit({
    type: 'load.start',
    profile: name,
    engine,
    model: profile.model,
    ...(profile.model === 'open' && profile.rate !== undefined ? { rate: profile.rate } : {}),
    durationMs: parseDurationStrict(profile.duration),
  });
  const engineOptions = { ...options, name };
  let summary: LoadSummary;
  try {
    summary =
      engine === 'open'
        ? await runOpenEngine(profile, engineOptions)
        : engine === 'autocannon'
          ? await runAutocannonEngine(profile, engineOptions)
          : await runK6Engine(profile, engineOptions);
  } catch (error) {
    // Every load.start gets its load.end, so windows on the timeline always close.
    const partial = error instanceof LoadInterruptedError ? error.partial : undefined;
    options.timeline.emit({
      type: 'load.end',
      profile: name,
      requests: partial?.requests ?? 0,
      errors: partial?.errors ?? 0,
      dropped: partial?.dropped ?? 0,
      aborted: true,
    });
    throw error;
  }
  options.timeline.emit({
    type: 'load.end',
    profile: name,
    requests: summary.requests,
    errors: summary.errors,
    dropped: summary.dropped,
  });
  return summary;
}

/** What the schema cannot say on its own: the model's required fields. */
function validateProfile(profile: LoadProfile): void {
  if (profile.model === 'closed') {
    if (!profile.connections)
      throw new UsageError('a closed-model profile needs connections (--connections N)');
    return;
  }
  if (profile.stages?.length) return;
  if (profile.rate === undefined || !(profile.rate > 0)) {
    throw new UsageError(`the arrival rate must be above 0 req/s (got ${profile.rate ?? 'none'})`, {
      hint: 'pass --rate N, or --connections N for a closed-model run',
    });
  }
}

/** Any HTTP answer from the target's base URL counts; a connection failure is an EnvironmentError. */
export async function checkTargetReachable(
  target: string,
  signal?: AbortSignal,
  timeoutMs = 5000,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`"${target}" is not a URL`, { hint: 'expected e.g. http://127.0.0.1:8080' });
  }
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    const response = await request(url, {
      method: 'GET',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await response.body.dump();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const code = (error as { code?: string }).code;
    throw new EnvironmentError(
      'target-unreachable',
      `target ${url.origin} is unreachable (${code ?? (error as Error).message}); no load was sent`,
      { hint: 'start the service or pass --url of one that is running', cause: error },
    );
  }
}
