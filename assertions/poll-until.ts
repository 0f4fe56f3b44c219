import type { Clock } from '../core/clock.ts';

export interface PollOptions {
  clock: Clock;
  signal?: AbortSignal;
  /** Milliseconds left before the deadline (monotonic); the poller stops at or below zero. */
  remainingMs: () => number;
  /** @defaultValue 250 */
  intervalMs?: number;
  /** Lets a push source (timeline events, an SQS reader) wake the poller at once. Returns an unsubscribe. */
  subscribe?: (wake: () => void) => () => void;
}

/**
 * Calls `check` until it returns a value or the deadline passes (one last check at the deadline).
 * Waits on the injected clock, so deadlines follow it; aborting the signal rejects with its reason.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  options: PollOptions,
): Promise<T | undefined> {
  const interval = options.intervalMs ?? 250;
  let wake: (() => void) | undefined;
  let woken = false;
  const unsubscribe = options.subscribe?.(() => {
    woken = true;
    wake?.();
  });
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      woken = false;
      const found = await check();
      if (found !== undefined) return found;
      const remaining = options.remainingMs();
      if (remaining <= 0) return undefined;
      if (woken) continue;
      const wait = new AbortController();
      const onAbort = () => wait.abort(options.signal?.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.race([
          options.clock.sleep(Math.min(interval, remaining), wait.signal).catch(() => undefined),
          new Promise<void>((resolve) => {
            wake = resolve;
          }),
        ]);
      } finally {
        wake = undefined;
        wait.abort();
        options.signal?.removeEventListener('abort', onAbort);
      }
    }
  } finally {
    unsubscribe?.();
  }
}
