import type { Check, CheckStatus, ExperimentJournal, StageName } from '../core/run-result.ts';
import type { Experiment } from '../core/schema.ts';

/** Where an experiment's check sits: the gate's chaos stage (`experiment:<name>`) or a drill (`drill:<drill>:experiment`). */
export interface ExperimentCheckPlace {
  id: string;
  stage: StageName;
}

/**
 * The check of one experiment run, the same judgement for the gate's chaos stage and the drills: a
 * dry run is skipped; a completed run passes unless an expectation did not hold (`deviated`); an
 * interrupted one is an error (every fault was cleared); a stop condition or a failure fails it. Pure.
 */
export function buildExperimentCheck(
  journal: ExperimentJournal,
  experiment: Pick<Experiment, 'description'>,
  place: ExperimentCheckPlace,
): Check {
  const activities = journal.activities.map((a) => a.output ?? a.name).join('; ');
  let status: CheckStatus;
  let message: string;
  if (journal.dryRun) {
    status = 'skipped';
    message = activities;
  } else if (journal.status === 'completed') {
    status = journal.deviated ? 'failed' : 'passed';
    message = journal.deviated
      ? 'the experiment ran, but an expectation did not hold'
      : `completed: ${activities}`;
  } else if (journal.status === 'interrupted') {
    status = 'error';
    message = 'interrupted; every fault was cleared';
  } else if (journal.status === 'aborted') {
    status = 'failed';
    message = `stopped by stop condition ${journal.stoppedBy ?? '(unknown)'}: ${journal.error ?? ''}`.trim();
  } else {
    status = 'failed';
    message = journal.error ?? 'failed';
  }
  return {
    id: place.id,
    kind: 'experiment',
    name: `experiment ${journal.experiment}${experiment.description ? ` (${experiment.description})` : ''}`,
    status,
    measured: journal.status,
    threshold: 'completed',
    message,
    stage: place.stage,
  };
}
