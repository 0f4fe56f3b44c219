import { type Clock, systemClock } from '../core/clock.ts';
import type { CanaryRunResult } from '../core/run-result.ts';

export interface WatchCanariesOptions {
  /**
   * One scheduled run: runs the canaries and publishes their metrics. With `intervals`, `due` names
   * the canaries whose turn it is.
   */
  runOnce(iteration: number, due?: readonly string[]): Promise<CanaryRunResult[]>;
  /** Time from the start of one run to the start of the next (every canary, when no `intervals`). */
  everyMs: number;
  /** Each canary's own interval (from its schedule): each runs on its own clock. */
  intervals?: ReadonlyMap<string, number>;
  /** Stops the loop (Ctrl-C); the run in flight finishes first. */
  signal: AbortSignal;
  /** Told after every run. */
  onRun?(results: CanaryRunResult[], iteration: number): void | Promise<void>;
  /** Stop after this many runs. @defaultValue unbounded (until the signal) */
  maxRuns?: number;
  clock?: Clock;
}

/**
 * The local stand-in for the Synthetics schedule: runs, waits out the rest of the interval, runs
 * again, until the signal aborts (or `maxRuns`). With per-canary `intervals`, each run holds the
 * canaries that are due and the loop sleeps until the next one is. A run longer than an interval
 * starts the next one right away rather than overlapping it. Returns the number of completed runs.
 */
export async function watchCanaries(options: WatchCanariesOptions): Promise<number> {
  const clock = options.clock ?? systemClock;
  const maxRuns = options.maxRuns ?? Number.POSITIVE_INFINITY;
  const intervals = options.intervals;
  const nextDue = new Map<string, number>();
  const start = clock.now();
  for (const name of intervals?.keys() ?? []) nextDue.set(name, start);
  let runs = 0;
  while (!options.signal.aborted && runs < maxRuns) {
    const started = clock.now();
    let due: string[] | undefined;
    if (intervals) {
      due = [...nextDue].filter(([, at]) => at <= started).map(([name]) => name);
      if (due.length === 0) {
        // Woken before the next canary is due (a timer may fire up to 1 ms early): no round, sleep on.
        // An empty round would select every canary and push their schedules back.
        try {
          await clock.sleep(Math.max(1, Math.min(...nextDue.values()) - started), options.signal);
        } catch {
          break;
        }
        continue;
      }
      for (const name of due) nextDue.set(name, started + (intervals.get(name) ?? options.everyMs));
    }
    const results = await options.runOnce(runs + 1, due);
    runs += 1;
    await options.onRun?.(results, runs);
    if (runs >= maxRuns) break;
    const next = intervals ? Math.min(...nextDue.values()) : started + options.everyMs;
    const wait = Math.max(0, next - clock.now());
    try {
      await clock.sleep(wait, options.signal);
    } catch {
      break; // aborted while waiting: a clean stop
    }
  }
  return runs;
}

const RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * The interval of a Synthetics `rate(…)` schedule in ms; `undefined` for `cron(…)` and for
 * `rate(0 minute)` (run once), which the local watch cannot follow.
 */
export function scheduleIntervalMs(schedule: string): number | undefined {
  const match = RATE.exec(schedule.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  const unit = (match[2] ?? 'minute').replace(/s$/, '');
  return n > 0 ? n * (UNIT_MS[unit] ?? 60_000) : undefined;
}
