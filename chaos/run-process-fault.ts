import type { Clock } from '../core/clock.ts';
import type { RecordOf } from '../core/events.ts';
import type { ProcessFaultRecord } from '../core/run-result.ts';
import type { Timeline } from '../core/timeline.ts';
import type { ProcessFault } from './build-local-plan.ts';
import { formatTargetName, type ProcessFaults } from './process-faults.ts';

export interface ProcessFaultRun {
  record: ProcessFaultRecord;
  /** One line for the journal: what was done, when it was back. */
  output: string;
  /** Set when the target did not come back ready (it exited, or never answered its readiness check). */
  error?: string;
}

export interface RunProcessFaultOptions {
  processes: ProcessFaults;
  timeline: Timeline;
  clock: Clock;
  /** Ends the down time early (Ctrl-C or a stop condition): the target is started again at once. */
  stop: AbortSignal;
  /** Ctrl-C: the target is started again but not waited for (the run is ending). */
  interrupt: AbortSignal;
  /** Longest wait, after the target is ready, for a load tick without errors. @defaultValue 5000 */
  tickWaitMs?: number;
}

/**
 * Kills (SIGKILL), stops (SIGTERM, SIGKILL after a grace) or pauses (SIGSTOP) a named target, keeps
 * it down for `durationMs` (0: it is started again at once, as an orchestrator replaces a task),
 * then starts it again (or SIGCONT) and waits until it is ready. Whatever happens meanwhile the
 * target is started again (or resumed) before this returns: a fault never outlives its run. Throws
 * only when the fault itself could not be applied.
 */
export async function runProcessFault(
  fault: ProcessFault,
  durationMs: number,
  options: RunProcessFaultOptions,
): Promise<ProcessFaultRun> {
  const { processes, timeline, clock, stop, interrupt } = options;
  const name = formatTargetName(fault.target);
  const ticks: RecordOf<'load.tick'>[] = [];
  const off = timeline.on((r) => {
    if (r.type === 'load.tick') ticks.push(r);
  });
  try {
    let record: ProcessFaultRecord;
    let output: string;
    const faultT = timeline.elapsed();
    if (fault.op === 'pause') {
      const { pid } = await processes.pause(fault.target);
      record = {
        target: fault.target,
        op: 'pause',
        ...(pid === undefined ? {} : { pid }),
        faultedAt: iso(clock),
      };
      output = `paused ${name}${pid === undefined ? '' : ` (pid ${pid})`} with SIGSTOP at ${record.faultedAt}`;
    } else {
      const exit = await (fault.op === 'kill' ? processes.kill(fault.target) : processes.stop(fault.target));
      const how = exit.signal ?? `exit ${exit.code}`;
      record = {
        target: fault.target,
        op: fault.op,
        ...(exit.pid === undefined ? {} : { pid: exit.pid }),
        faultedAt: iso(clock),
        exit: how,
      };
      const sent = fault.op === 'kill' ? 'SIGKILL' : 'SIGTERM';
      // A graceful stop may end in an exit code, or in SIGKILL after the grace period.
      const ended = how === sent ? '' : ` (ended by ${how})`;
      output = `${fault.op === 'kill' ? 'killed' : 'stopped'} ${name}${exit.pid === undefined ? '' : ` (pid ${exit.pid})`} with ${sent} at ${record.faultedAt}${ended}`;
    }
    const faultedAt = clock.now();
    let error: string | undefined;
    try {
      // The down time; cut short by Ctrl-C or a stop condition.
      await clock.sleep(durationMs, stop).catch(() => {});
      record.restartedAt = iso(clock);
      // After Ctrl-C it is started again but not waited for: the run stops every target next.
      const waitFor = interrupt.aborted ? AbortSignal.abort(interrupt.reason) : interrupt;
      const ready =
        fault.op === 'pause'
          ? await processes.resume(fault.target, waitFor)
          : await processes.start(fault.target, waitFor);
      if (ready) {
        record.readyAt = iso(clock);
        record.recoveryMs = Math.round(clock.now() - faultedAt);
      }
      output += `; ${fault.op === 'pause' ? 'resumed (SIGCONT)' : 'started again'} at ${record.restartedAt}`;
      output += ready
        ? `; ready at ${record.readyAt} (recovered in ${record.recoveryMs} ms)`
        : '; not waited for (interrupted)';
    } catch (caught) {
      error = `${name} did not come back: ${caught instanceof Error ? caught.message : String(caught)}`;
      output += `; ${error}`;
    }
    if (record.readyAt !== undefined) {
      const load = await measureLoad(timeline, ticks, faultT, options.tickWaitMs ?? 5000, interrupt);
      if (load) {
        record.load = load;
        output += `; load meanwhile: ${load.errors} errors of ${load.requests} requests (${load.ticks} s)`;
        output += load.clearAt
          ? `, none from ${load.clearAt}`
          : `, still failing ${(options.tickWaitMs ?? 5000) / 1000} s after ready`;
      }
    }
    return { record, output, ...(error === undefined ? {} : { error }) };
  } finally {
    off();
  }
}

/**
 * The load ticks from the fault up to the first tick after the target was ready again that had no
 * error (each tick covers the second before it): the outage as the load saw it, and when the
 * service answered again. Waits for that tick up to `waitMs` after the target was ready, when load
 * is running.
 */
async function measureLoad(
  timeline: Timeline,
  ticks: RecordOf<'load.tick'>[],
  faultT: number,
  waitMs: number,
  signal: AbortSignal,
): Promise<ProcessFaultRecord['load'] | undefined> {
  const readyT = timeline.elapsed();
  if (ticks.length === 0) return undefined;
  const isClear = (t: RecordOf<'load.tick'>) => t.t >= readyT && t.errors === 0;
  if (!ticks.some(isClear)) {
    await timeline
      .waitFor('load.tick', (t) => t.errors === 0, {
        fromT: readyT,
        signal: AbortSignal.any([signal, AbortSignal.timeout(waitMs)]),
      })
      .catch(() => undefined);
  }
  const clear = ticks.find(isClear);
  const window = ticks.filter((t) => t.t > faultT && (clear === undefined || t.t < clear.t));
  return {
    // A tick's rps is what that second completed.
    requests: Math.round(window.reduce((sum, t) => sum + t.rps, 0)),
    errors: window.reduce((sum, t) => sum + t.errors, 0),
    ticks: window.length,
    ...(clear ? { clearAt: clear.at } : {}),
  };
}

const iso = (clock: Clock) => clock.wall().toISOString();
