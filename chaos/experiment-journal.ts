import type { Clock } from '../core/clock.ts';
import type { ActivityRecord, ExperimentJournal, JournalStatus } from '../core/run-result.ts';
import type { Timeline } from '../core/timeline.ts';

/**
 * The journal of one experiment run, as both engines keep it: `experiment.start` when it is opened,
 * `experiment.end` and the journal's times when it is closed.
 */
export function openJournal(
  name: string,
  engine: ExperimentJournal['engine'],
  options: { timeline: Timeline; clock: Clock; dryRun: boolean },
) {
  const { timeline, clock, dryRun } = options;
  const startedAt = clock.wall();
  const t0 = clock.now();
  timeline.emit({ type: 'experiment.start', experiment: name, engine, dryRun });
  return {
    close(
      status: JournalStatus,
      activities: ActivityRecord[],
      extra: Partial<ExperimentJournal> = {},
    ): ExperimentJournal {
      timeline.emit({ type: 'experiment.end', experiment: name, status, deviated: false });
      return {
        experiment: name,
        engine,
        status,
        deviated: false,
        startedAt: startedAt.toISOString(),
        endedAt: clock.wall().toISOString(),
        durationMs: Math.round(clock.now() - t0),
        dryRun,
        activities,
        ...extra,
      };
    },
  };
}
