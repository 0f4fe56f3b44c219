import autocannon from 'autocannon';
import { parseDurationStrict } from '../core/duration.ts';
import { EnvironmentError, UsageError } from '../core/errors.ts';
import type { LoadSummary } from '../core/run-result.ts';
import type { LoadProfile } from '../core/schema.ts';
import { whenAborted } from '../core/when-aborted.ts';
import { buildRequestMix, CORRELATION_HEADER } from './build-request-mix.ts';
import { createLoadRecorder } from './create-load-recorder.ts';
import { initHistograms } from './histogram.ts';
import { interruptedLoad } from './load-interrupted-error.ts';
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
  const stamp = createIdStamper();
  const base = new URL(options.target);
  const basePath = base.pathname.replace(/\/$/, '');

  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const ticker = setInterval(() => recorder.tick(elapsed(), profile.connections!), 1000);
  let unsubscribe = () => {};
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
            headers: { ...Object.fromEntries(pairs(r.headers)), [CORRELATION_HEADER]: stamp.placeholder },
            ...(r.body !== undefined ? { body: r.body } : {}),
          })),
          setupClient: (client: autocannon.Client) => stampEveryRequest(client, stamp),
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
      unsubscribe = whenAborted(options.signal, () => instance.stop());
    });
    recorder.tick(elapsed(), 0);
    const summary: LoadSummary = {
      engine: 'autocannon',
      model: 'closed',
      profile: name,
      target: options.target,
      ...recorder.finish({ durationMs: Math.max(Math.min(elapsed(), warmupMs + durationMs) - warmupMs, 0) }),
    };
    if (options.signal?.aborted) throw interruptedLoad(options.signal.reason, summary);
    if (result.errors > 0 && result.non2xx === 0 && result['2xx'] === 0) {
      throw new EnvironmentError('target-unreachable', `autocannon could not reach ${options.target}`);
    }
    return summary;
  } finally {
    unsubscribe();
    clearInterval(ticker);
    recorder.destroy();
  }
}

/**
 * Correlation ids of one fixed width, written into a copy of the prepared request bytes. autocannon
 * prepares each request's bytes once; a per-request `setupRequest` makes it rebuild them (headers
 * merged, the request line and every header joined and encoded) for every request, which cost ~40 % of
 * its throughput here (`npm run bench -- load`). Copying ~150 bytes and overwriting the id costs
 * almost nothing.
 */
interface IdStamper {
  /** What the header holds in the prepared bytes: the run's prefix and a zero sequence. */
  placeholder: string;
  /** A copy of `template` with the next id over the placeholder. */
  (template: Buffer): Buffer;
}

/** Sequence digits (base 36): 36^10 ≈ 3.7 × 10^15 ids before they repeat. */
const SEQUENCE_WIDTH = 10;

function createIdStamper(prefix: string = crypto.randomUUID().slice(0, 8)): IdStamper {
  const placeholder = `${prefix}-${'0'.repeat(SEQUENCE_WIDTH)}`;
  const marker = Buffer.from(`${CORRELATION_HEADER}: ${placeholder}`, 'latin1');
  const offsets = new WeakMap<Buffer, number>();
  let sequence = 0;
  const stamp = (template: Buffer): Buffer => {
    let offset = offsets.get(template);
    if (offset === undefined) {
      const at = template.indexOf(marker);
      if (at === -1) throw new Error('correlation id placeholder missing from the prepared request');
      offset = at + marker.length - SEQUENCE_WIDTH;
      offsets.set(template, offset);
    }
    const copy = Buffer.allocUnsafe(template.length);
    template.copy(copy);
    copy.write((sequence++).toString(36).padStart(SEQUENCE_WIDTH, '0'), offset, 'latin1');
    return copy;
  };
  return Object.assign(stamp, { placeholder });
}

/** The part of autocannon's client this engine reaches into (autocannon 9 `lib/httpClient.js`). */
interface StampableClient {
  getRequestBuffer(): Buffer;
  requestIterator: { currentRequest: { requestBuffer: Buffer } };
}

/**
 * Sends every request of `client` with a fresh correlation id: autocannon writes
 * `client.getRequestBuffer()` to the socket once per request, so the prepared bytes are replaced there.
 * Checked at start-up, so an autocannon whose internals moved fails loudly instead of sending
 * placeholder ids.
 */
function stampEveryRequest(client: autocannon.Client, stamp: IdStamper): void {
  const target = client as unknown as Partial<StampableClient>;
  if (typeof target.getRequestBuffer !== 'function' || !target.requestIterator?.currentRequest) {
    throw new Error('this autocannon version does not expose getRequestBuffer(); pin autocannon 9');
  }
  const iterator = target.requestIterator;
  target.getRequestBuffer = () => stamp(iterator.currentRequest.requestBuffer);
}

function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < flat.length; i += 2) yield [flat[i]!, flat[i + 1]!];
}
