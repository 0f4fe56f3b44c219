/**
 * Time, injected. `now()` is monotonic milliseconds (for measuring), `wall()` is the wall clock (for
 * reports and AWS queries). Tests use {@link createManualClock}.
 */
export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin. */
  now(): number;
  /** Wall-clock time. */
  wall(): Date;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wall: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface ManualClock extends Clock {
  advance(ms: number): Promise<void>;
}

/** A clock that only moves when told to; pending sleeps resolve as time passes them. */
export function createManualClock(start = new Date('2026-01-01T00:00:00Z')): ManualClock {
  let mono = 0;
  const sleepers: { until: number; resolve: () => void }[] = [];
  return {
    now: () => mono,
    wall: () => new Date(start.getTime() + mono),
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const sleeper = { until: mono + ms, resolve };
        sleepers.push(sleeper);
        signal?.addEventListener(
          'abort',
          () => {
            sleepers.splice(sleepers.indexOf(sleeper), 1);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    async advance(ms) {
      mono += ms;
      for (const sleeper of [...sleepers].sort((a, b) => a.until - b.until)) {
        if (sleeper.until <= mono) {
          sleepers.splice(sleepers.indexOf(sleeper), 1);
          sleeper.resolve();
          await Promise.resolve();
        }
      }
    },
  };
}
