import type { LoadSummary } from '../core/run-result.ts';

/**
 * What an engine throws when its signal stops it part-way: the signal's reason (same message, as
 * `cause`), with what was measured until then (`partial.interrupted` is true), so an interrupted
 * run still reports the load it did send — as k6 prints its summary on Ctrl-C.
 */
export class LoadInterruptedError extends Error {
  override readonly name = 'LoadInterruptedError';
  readonly partial: LoadSummary;
  constructor(reason: unknown, partial: LoadSummary) {
    super(reason instanceof Error ? reason.message : String(reason), { cause: reason });
    this.partial = { ...partial, interrupted: true };
  }
}

/**
 * The error to throw for a run its signal stopped: the partial summary when anything was measured,
 * else the signal's reason itself.
 */
export function interruptedLoad(reason: unknown, partial: LoadSummary): unknown {
  return partial.requests > 0 || partial.dropped > 0 ? new LoadInterruptedError(reason, partial) : reason;
}
