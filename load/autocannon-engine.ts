import autocannon from 'autocannon';
import { parseDurationStrict } from '../core/duration.ts';
import { EnvironmentError, UsageError } from '../core/errors.ts';
import type { LoadSummary } from '../core/run-result.ts';
import type { LoadProfile } from '../core/schema.ts';
import { buildRequestMix, CORRELATION_HEADER, createCorrelationIds } from './build-request-mix.ts';
import { createLoadRecorder } from './create-load-recorder.ts';
import { initHistograms } from './histogram.ts';
import type { EngineOptions } from './open-engine.ts';

/** How many entries the weighted mix is unrolled into for autocannon's round-robin `requests`. */
const MIX_LENGTH = 100;

/**
 * autocannon for closed-model capacity runs: `connections` loop as fast as the server answers.
 * autocannon's own histogram has no p95, and its coordinated-omission correction (applied only with
 * a rate) assumes a 1 ms expected interval whatever the rate. So no rate is ever passed — its
 * correction stays off, the `ignoreCoordinatedOmission` semantics (autocannon refuses the flag itself
 * without a rate) — and every response's raw latency goes into our HDR histogram instead. A closed
 * model cannot see latency it did not send into; use the open engine (or k6) for an arrival rate.
 */
export async function runAutocannonEngine(
  profile: LoadProfile,
  options: EngineOptions,
): Promise<LoadSummary> {
  if (profile.model !== 'closed' || !profile.connections) {
    throw new UsageError('the autocannon engine runs the closed model only (connections, no rate)', {
      hint: 'use --connections N without --rate, or --engine open / k6 for an arrival rate',
    });
  }
  await initHistograms();
  const name = options.name ?? 'adhoc';
  const warmupMs = parseDurationStrict(profile.warmup, 'warmup');
  const durationMs = parseDurationStrict(profile.duration, 'duration');
  const timeoutMs = parseDurationStrict(profile.timeout, 'timeout');
  const mix = buildRequestMix(profile.requests, options.headers);
  const sequence =
    mix.requests.length === 1 ? [mix.requests[0]!] : Array.from({ length: MIX_LENGTH }, mix.pick);
  const isSuccess =
    mix.requests.length === 1
      ? mix.requests[0]!.isSuccess
      : (status: number) => mix.requests.some((r) => r.isSuccess(status));
  const recorder = createLoadRecorder({ profile: name, scenarios: [], timeline: options.timeline });
  const nextId = createCorrelationIds();
  const base = new URL(options.target);
  const basePath = base.pathname.replace(/\/$/, '');

  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const ticker = setInterval(() => recorder.tick(elapsed(), profile.connections!), 1000);
  try {
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: base.origin,
          connections: profile.connections,
          pipelining: 1,
          duration: (warmupMs + durationMs) / 1000,
          timeout: Math.ceil(timeoutMs / 1000),
          requests: sequence.map((r) => ({
            method: r.method,
            path: basePath + r.path,
            headers: Object.fromEntries(pairs(r.headers)),
            ...(r.body !== undefined ? { body: r.body } : {}),
            setupRequest: (req: autocannon.Request) => ({
              ...req,
              headers: { ...req.headers, [CORRELATION_HEADER]: nextId() },
            }),
          })),
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        // Latency of what was sent; the closed model's honest limit (see the README).
        recorder.record(
          0,
          responseTime,
          statusCode,
          isSuccess(statusCode),
          elapsed() - responseTime >= warmupMs,
        );
      });
      instance.on('reqError', (error: { code?: string }) => {
        recorder.record(0, 0, error?.code ?? 'error', false, elapsed() >= warmupMs);
      });
      const onAbort = () => instance.stop();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    recorder.tick(elapsed(), 0);
    if (options.signal?.aborted) throw options.signal.reason;
    if (result.errors > 0 && result.non2xx === 0 && result['2xx'] === 0) {
      throw new EnvironmentError('target-unreachable', `autocannon could not reach ${options.target}`);
    }
    return {
      engine: 'autocannon',
      model: 'closed',
      profile: name,
      target: options.target,
      ...recorder.finish({ durationMs: Math.max(Math.min(elapsed(), warmupMs + durationMs) - warmupMs, 0) }),
    };
  } finally {
    clearInterval(ticker);
    recorder.destroy();
  }
}

function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < flat.length; i += 2) yield [flat[i]!, flat[i + 1]!];
}
