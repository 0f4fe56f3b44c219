import { type Clock, systemClock } from '../core/clock.ts';
import { describeError } from '../core/errors.ts';
import type { ActivityRecord, ExperimentJournal, JournalStatus } from '../core/run-result.ts';
import type { Experiment } from '../core/schema.ts';
import type { Timeline } from '../core/timeline.ts';
import type { Telemetry } from '../telemetry/port.ts';
import { buildLocalPlan, formatLocalPlan, type LocalStep } from './build-local-plan.ts';
import { openJournal } from './experiment-journal.ts';
import type { FaultController } from './fault-controller.ts';
import { type Fault, SEEN_PATHS_LIMIT } from './fault-gateway.ts';
import { findFiringStopConditions, stopConditionAlarms, watchStopConditions } from './guard.ts';
import { formatTargetName, type ProcessFaults } from './process-faults.ts';
import { runCommandStandIn } from './run-command-stand-in.ts';
import { runProcessFault } from './run-process-fault.ts';

export interface LocalExperimentOptions {
  /** The name of the environment's default target, for process faults that name no target. @defaultValue '' (the port's default target) */
  defaultTarget?: string | undefined;
  /** Where faults go; required unless every action is a process fault, wait or assertion. */
  faults?: FaultController;
  /** Process faults on the named targets opsproof started (the runner implements the port). */
  processes?: ProcessFaults;
  /** Where command stand-ins run (the config's folder). @defaultValue process.cwd() */
  commandCwd?: string;
  telemetry: Telemetry;
  timeline: Timeline;
  clock?: Clock;
  signal: AbortSignal;
  dryRun?: boolean;
  /**
   * Margin added to each fault's duration for its gateway TTL: the gateway removes the fault by
   * itself this long after it should have ended, even if this process dies. @defaultValue 5000
   */
  ttlMarginMs?: number;
  /** Stop-condition polling interval. @defaultValue 500 */
  stopPollMs?: number;
}

class StopExperiment extends Error {}

/**
 * Runs an FIS-shaped experiment locally: each action starts when the actions in its `startAfter`
 * finished, faults go through the fault gateway (each with a gateway-enforced TTL), process faults
 * through the {@link ProcessFaults} port on the named target each step names, command stand-ins as
 * argv with their undo, and stop-condition alarms are watched. Ctrl-C / SIGTERM (the signal)
 * and a firing stop condition clear every fault before this returns. Never throws for what happens
 * during the run: the journal records it.
 */
export async function runLocalExperiment(
  name: string,
  experiment: Experiment,
  options: LocalExperimentOptions,
): Promise<ExperimentJournal> {
  const clock = options.clock ?? systemClock;
  const { timeline, telemetry } = options;
  const dryRun = options.dryRun ?? false;
  const steps = buildLocalPlan(
    name,
    experiment,
    options.defaultTarget ? { defaultTarget: options.defaultTarget } : {},
  );
  const activities: ActivityRecord[] = [];
  const where = options.faults?.where ?? '(no gateway)';
  const journal = openJournal(name, 'local', { timeline, clock, dryRun });
  const finish = (status: JournalStatus, extra: Partial<ExperimentJournal> = {}): ExperimentJournal =>
    journal.close(status, activities, extra);

  if (dryRun) {
    const lines = formatLocalPlan(steps, where);
    for (const [i, step] of steps.entries()) {
      const at = clock.wall().toISOString();
      activities.push({
        name: step.action,
        actionId: step.actionId,
        status: 'skipped',
        startedAt: at,
        endedAt: at,
        durationMs: 0,
        output: `dry run: ${lines[i]}`,
      });
    }
    return finish('completed');
  }

  const alarms = stopConditionAlarms(experiment);
  const firing = await findFiringStopConditions(alarms, telemetry);
  if (firing.length > 0) {
    return finish('failed', {
      error: `stop condition ${firing.join(', ')} is in ALARM before the experiment started`,
    });
  }

  // One controller for the whole run: aborted by Ctrl-C (interrupted) or a stop condition (aborted).
  const stop = new AbortController();
  let stoppedBy: string | undefined;
  const onInterrupt = () => stop.abort(options.signal.reason);
  if (options.signal.aborted) onInterrupt();
  options.signal.addEventListener('abort', onInterrupt, { once: true });
  const unwatch = watchStopConditions({
    alarms,
    telemetry,
    clock,
    intervalMs: options.stopPollMs,
    signal: stop.signal,
    onStop: (alarm) => {
      stoppedBy = alarm;
      stop.abort(new StopExperiment(`stop condition ${alarm} entered ALARM`));
    },
  });

  const active = new Map<string, { id: string; controller: FaultController }>();
  /** Removes a fault this run added; answers its final record (what it matched), when the gateway has it. */
  const endFault = async (
    key: string,
    reason: 'completed' | 'stopped' | 'interrupted',
  ): Promise<Fault | undefined> => {
    const fault = active.get(key);
    if (!fault) return undefined;
    active.delete(key);
    try {
      return await fault.controller.removeFault(fault.id);
    } finally {
      // The gateway's TTL still ends it if the removal failed.
      timeline.emit({ type: 'fault.end', faultId: fault.id, reason });
    }
  };

  /**
   * A fault this engine injects outside the gateway (a command, a process fault), announced on the
   * timeline for as long as `inject` runs.
   */
  const announced = async <T>(step: LocalStep, spec: string, where: string, inject: () => Promise<T>) => {
    const faultId = `${name}:${step.action}`;
    timeline.emit({ type: 'fault.start', faultId, spec, experiment: name, action: step.action, where });
    try {
      return await inject();
    } finally {
      timeline.emit({
        type: 'fault.end',
        faultId,
        reason: stop.signal.aborted ? reasonOf(stop.signal) : 'completed',
      });
    }
  };

  const runStep = async (step: LocalStep): Promise<ActivityRecord> => {
    const stepStart = clock.now();
    const startedIso = clock.wall().toISOString();
    timeline.emit({ type: 'action.start', experiment: name, action: step.action, actionId: step.actionId });
    let status: ActivityRecord['status'] = 'succeeded';
    let output: string | undefined;
    let error: string | undefined;
    let counts: Pick<ActivityRecord, 'matchedRequests' | 'injectedRequests' | 'seenRequests' | 'seenPaths'> =
      {};
    let processRecord: ActivityRecord['process'];
    let commands: ActivityRecord['commands'];
    try {
      if (stop.signal.aborted) throw stop.signal.reason;
      switch (step.effect.kind) {
        case 'fault': {
          if (!options.faults) throw new Error('no fault gateway in front of the target');
          const ttl = step.durationMs + (options.ttlMarginMs ?? 5000);
          const fault = await options.faults.addFault(step.effect.fault, ttl, {
            experiment: name,
            action: step.action,
          });
          active.set(step.action, { id: fault.id, controller: options.faults });
          timeline.emit({
            type: 'fault.start',
            faultId: fault.id,
            spec: step.effect.spec,
            experiment: name,
            action: step.action,
            where,
          });
          output = `${step.effect.spec} on ${where} for ${step.durationMs / 1000}s`;
          let final: Fault | undefined;
          try {
            await clock.sleep(step.durationMs, stop.signal);
          } finally {
            final = await endFault(step.action, stop.signal.aborted ? reasonOf(stop.signal) : 'completed');
            // Recorded also for a fault cut short (stopped), which is not judged on them.
            if (final) {
              counts = {
                matchedRequests: final.matchedRequests,
                injectedRequests: final.injectedRequests,
                seenRequests: final.seenRequests,
                seenPaths: final.seenPaths,
              };
            }
          }
          if (final) {
            output += `: matched ${final.matchedRequests} of ${final.seenRequests} requests, injected into ${final.injectedRequests}`;
            // A fault that touched nothing proved nothing: its activity fails (DESIGN.md, no verdict without evidence).
            if (final.matchedRequests === 0) {
              status = 'failed';
              error = formatUnmatchedFault(final);
            }
          } else {
            output += ' (the gateway no longer knows the fault: how many requests it matched is unknown)';
          }
          break;
        }
        case 'command': {
          // Expectations anchor on fault.start whatever injects the fault, a command included.
          const { effect } = step;
          const ran = await announced(step, `command:${effect.run.join(' ')}`, 'local command', () =>
            runCommandStandIn(effect, step.durationMs, {
              clock,
              stop: stop.signal,
              ...(options.commandCwd ? { cwd: options.commandCwd } : {}),
            }),
          );
          commands = ran.commands;
          output = ran.output;
          if (ran.error !== undefined) {
            status = 'failed';
            error = ran.error;
          }
          break;
        }
        case 'process': {
          const { effect } = step;
          const { op, target } = effect;
          const processes = options.processes;
          if (!processes?.targets().includes(target)) {
            throw new Error(
              `${formatTargetName(target)} was not started by opsproof, so it has no process to ${op}`,
            );
          }
          const ran = await announced(step, `process:${op}`, `target ${formatTargetName(target)}`, () =>
            runProcessFault(effect, step.durationMs, {
              processes,
              timeline,
              clock,
              stop: stop.signal,
              interrupt: options.signal,
            }),
          );
          processRecord = ran.record;
          output = ran.output;
          if (ran.error !== undefined) {
            status = 'failed';
            error = ran.error;
          }
          break;
        }
        case 'wait':
          await clock.sleep(step.durationMs, stop.signal);
          output = `waited ${step.durationMs / 1000}s`;
          break;
        case 'assert-alarms': {
          const { alarms: names, states } = step.effect;
          const seen = await Promise.all(
            names.map(async (a) => [a, await telemetry.getAlarmState(a)] as const),
          );
          output = seen.map(([a, s]) => `${a}=${s ?? 'unknown'}`).join(', ');
          const wrong = seen.filter(([, s]) => s === undefined || !states.includes(s));
          if (wrong.length > 0) {
            status = 'failed';
            error = `expected ${states.join('|')}, got ${output}`;
          }
          break;
        }
      }
      // Process faults and commands end (restarted, undone) rather than throw when cut short.
      if (stop.signal.aborted && status === 'succeeded') {
        status = 'stopped';
        error = describeError(stop.signal.reason);
      }
    } catch (caught) {
      status = stop.signal.aborted ? 'stopped' : 'failed';
      error = stop.signal.aborted ? describeError(stop.signal.reason) : describeError(caught);
    }
    const record: ActivityRecord = {
      name: step.action,
      actionId: step.actionId,
      status,
      startedAt: startedIso,
      endedAt: clock.wall().toISOString(),
      durationMs: Math.round(clock.now() - stepStart),
      ...(step.standIn ? { standIn: true as const } : {}),
      ...counts,
      ...(processRecord ? { process: processRecord } : {}),
      ...(commands ? { commands } : {}),
      ...(output === undefined ? {} : { output }),
      ...(error === undefined ? {} : { error }),
    };
    timeline.emit({
      type: 'action.end',
      experiment: name,
      action: step.action,
      actionId: step.actionId,
      status,
      ...(error === undefined ? {} : { error }),
    });
    activities.push(record);
    if (status === 'failed') stop.abort(new Error(`action ${step.action} failed: ${error}`));
    return record;
  };

  // startAfter: each action waits for its predecessors (validated to be acyclic).
  const done = new Map<string, Promise<ActivityRecord>>();
  const schedule = (step: LocalStep): Promise<ActivityRecord> => {
    let promise = done.get(step.action);
    if (!promise) {
      const deps = step.startAfter.map((d) => schedule(steps.find((s) => s.action === d)!));
      promise = Promise.all(deps).then(() => runStep(step));
      done.set(step.action, promise);
    }
    return promise;
  };
  try {
    await Promise.all(steps.map(schedule));
  } finally {
    unwatch();
    options.signal.removeEventListener('abort', onInterrupt);
    // Belt and braces: nothing this run added may outlive it.
    for (const key of [...active.keys()]) await endFault(key, reasonOf(stop.signal)).catch(() => {});
  }

  if (options.signal.aborted) return finish('interrupted', { error: describeError(options.signal.reason) });
  if (stoppedBy !== undefined)
    return finish('aborted', { stoppedBy, error: `stop condition ${stoppedBy} entered ALARM` });
  const failed = activities.find((a) => a.status === 'failed');
  if (failed) return finish('failed', { error: `action ${failed.name} failed: ${failed.error}` });
  return finish('completed');
}

/**
 * Why a fault's activity failed when it matched no request: its SPEC (with its path) and a sample of
 * what the gateway saw, e.g. `fault error:status=503,percent=100,path=/api/* matched no request;
 * seen: /, /items, /health (42 requests)`.
 */
export function formatUnmatchedFault(
  fault: Pick<Fault, 'spec' | 'fault' | 'seenRequests' | 'seenPaths'>,
  sampleLimit = SEEN_PATHS_LIMIT,
): string {
  const spec = fault.fault.path === undefined ? `${fault.spec} (every path)` : fault.spec;
  if (fault.seenRequests === 0)
    return `fault ${spec} matched no request; the gateway saw no request while it was on: nothing sent traffic through it (in a gate or drill, the experiment's \`load\` profile does)`;
  const more = fault.seenPaths.length >= sampleLimit ? ', …' : '';
  const requests = `${fault.seenRequests} request${fault.seenRequests === 1 ? '' : 's'}`;
  return `fault ${spec} matched no request; seen: ${fault.seenPaths.join(', ')}${more} (${requests})`;
}

function reasonOf(signal: AbortSignal): 'completed' | 'stopped' | 'interrupted' {
  if (!signal.aborted) return 'completed';
  return signal.reason instanceof StopExperiment ||
    !(signal.reason instanceof Error && signal.reason.name === 'InterruptedError')
    ? 'stopped'
    : 'interrupted';
}
