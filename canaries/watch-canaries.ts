import { type Clock, systemClock } from '../core/clock.ts';
import type { CanaryRunResult } from '../core/run-result.ts';

export interface WatchCanariesOptions {
  /** One scheduled run: runs the canaries and publishes their metrics. */
  runOnce(iteration: number): Promise<CanaryRunResult[]>;
  /** Time from the start of one run to the start of the next. */
  everyMs: number;
  /** Stops the loop (Ctrl-C); the run in flight finishes first. */
  signal: AbortSignal;
  /** Told after every run. */
  onRun?(results: CanaryRunResult[], iteration: number): void;
  /** Stop after this many runs. @defaultValue unbounded (until the signal) */
  maxRuns?: number;
  clock?: Clock;
}

/**
 * The local stand-in for the Synthetics schedule: runs, waits out the rest of the interval, runs
 * again, until the signal aborts (or `maxRuns`). A run longer than the interval starts the next one
 * right away rather than overlapping it. Returns the number of completed runs.
 */
export async function watchCanaries(options: WatchCanariesOptions): Promise<number> {
  const clock = options.clock ?? systemClock;
  let runs = 0;
  while (!options.signal.aborted && runs < (options.maxRuns ?? Number.POSITIVE_INFINITY)) {
    const started = clock.now();
    const results = await options.runOnce(runs + 1);
    runs += 1;
    options.onRun?.(results, runs);
    if (runs >= (options.maxRuns ?? Number.POSITIVE_INFINITY)) break;
    const wait = Math.max(0, options.everyMs - (clock.now() - started));
    try {
      await clock.sleep(wait, options.signal);
    } catch {
      break; // aborted while waiting: a clean stop
    }
  }
  return runs;
}
