import type { Clock } from '../core/clock.ts';
import { parseDurationStrict } from '../core/duration.ts';
import type { TimelineRecord } from '../core/events.ts';
import type { Timeline } from '../core/timeline.ts';

/** What watching a window needs of an expectation's context. */
interface WatchContext {
  timeline: Timeline;
  clock: Clock;
  signal?: AbortSignal | undefined;
}

/**
 * The window an expectation watches: the last fault-free load (`'load'`), or a fixed duration from
 * now, waited out.
 */
export async function resolveWatchWindow(
  during: string,
  ctx: WatchContext,
): Promise<{ fromT: number; toT: number } | undefined> {
  if (during === 'load') return waitForHealthyLoadWindow(ctx);
  const fromT = ctx.timeline.elapsed();
  const toT = fromT + parseDurationStrict(during, 'during');
  const wait = toT - ctx.timeline.elapsed();
  if (wait > 0) await ctx.clock.sleep(wait, ctx.signal);
  return { fromT, toT };
}

/** Extra time a running load gets past its planned duration before the window is given up on. */
const LOAD_END_SLACK_MS = 30_000;

/**
 * The window of the most recent load that ran with no fault active: the healthy load that
 * "stays OK during load" is about (loads running under a chaos fault are expected to alarm). A
 * load still running is waited for, bounded by its planned duration plus a slack.
 */
async function waitForHealthyLoadWindow(
  ctx: WatchContext,
): Promise<{ fromT: number; toT: number } | undefined> {
  const windows = findLoadWindows(ctx.timeline.records());
  const healthy = windows.filter((w) => !w.faulted);
  const done = healthy.filter((w) => w.toT !== undefined).at(-1);
  const running = healthy.filter((w) => w.toT === undefined).at(-1);
  if (running && (!done || running.fromT > done.fromT)) {
    const deadline = running.fromT + running.durationMs + LOAD_END_SLACK_MS - ctx.timeline.elapsed();
    const timeout = new AbortController();
    const onAbort = () => timeout.abort(ctx.signal?.reason);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => timeout.abort(new Error('load did not end in time')),
      Math.max(0, deadline),
    );
    try {
      const end = await ctx.timeline.waitFor(
        'load.end',
        (r) => r.profile === running.profile && r.t >= running.fromT,
        {
          fromT: running.fromT,
          signal: timeout.signal,
        },
      );
      if (!end.aborted) return { fromT: running.fromT, toT: end.t };
    } catch (error) {
      if (ctx.signal?.aborted) throw error;
    } finally {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
    }
  }
  return done ? { fromT: done.fromT, toT: done.toT! } : undefined;
}

interface LoadWindow {
  profile: string;
  fromT: number;
  toT: number | undefined;
  durationMs: number;
  /** A fault was active at some point of the window, or the load ended early: not a healthy window. */
  faulted: boolean;
}

/** Pairs every load.start with its load.end (by profile, in order) and marks windows a fault overlapped. */
export function findLoadWindows(records: readonly TimelineRecord[]): LoadWindow[] {
  const windows: LoadWindow[] = [];
  const active = new Set<string>();
  for (const record of records) {
    if (record.type === 'fault.start') {
      active.add(record.faultId);
      for (const w of windows) if (w.toT === undefined) w.faulted = true;
    } else if (record.type === 'fault.end') {
      active.delete(record.faultId);
    } else if (record.type === 'load.start') {
      windows.push({
        profile: record.profile,
        fromT: record.t,
        toT: undefined,
        durationMs: record.durationMs,
        faulted: active.size > 0,
      });
    } else if (record.type === 'load.end') {
      const open = windows.find((w) => w.toT === undefined && w.profile === record.profile);
      if (open) {
        open.toT = record.t;
        if (record.aborted) open.faulted = true;
      }
    }
  }
  return windows;
}
