import { EnvironmentError } from '../core/errors.ts';
import type { Check, DrillReport, ExpectationResult, ExperimentJournal } from '../core/run-result.ts';
import { type Expectation, expectationSchema } from '../core/schema.ts';
import type { ExperimentUnderLoadResult } from './run-experiment-under-load.ts';

// What the alert drill and the DR drill share around the one experiment path.

/** What a drill adds to the run: its report, checks, expectation results and the experiment's journal. */
export interface DrillRun {
  report: DrillReport;
  checks: Check[];
  expectations: ExpectationResult[];
  journal: ExperimentJournal;
}

/** The drill's alarm expectations: into ALARM within `alarmWithin` of the fault, back to OK within `recoverWithin` of its end. */
export function buildAlarmExpectations(
  alarm: string,
  alarmWithin: string,
  recoverWithin: string,
): { fires: Expectation; recovers: Expectation } {
  return {
    fires: expectationSchema.parse({ kind: 'alarm-fires', alarm, within: alarmWithin, after: 'fault.start' }),
    recovers: expectationSchema.parse({
      kind: 'alarm-recovers',
      alarm,
      within: recoverWithin,
      after: 'fault.end',
    }),
  };
}

/**
 * The drill's part of the run from the experiment path's result, whose `after` is the drill's report
 * and checks; a steady state not met stops the drill (exit 3): it would measure nothing.
 */
export function drillRunFrom(
  drillName: string,
  run: ExperimentUnderLoadResult<{ report: DrillReport; checks: Check[] }>,
): DrillRun {
  if (run.steadyState || !run.after) {
    throw new EnvironmentError(
      'process',
      `drill ${drillName}: ${run.steadyState?.message ?? 'the experiment was not run'}; the drill needs a steady state to start from`,
    );
  }
  return { ...run.after, expectations: run.expectations, journal: run.journal };
}
