import { expect, test } from 'vitest';
import type { ExperimentJournal } from '../core/run-result.ts';
import { buildExperimentCheck } from './build-experiment-check.ts';

const activity = {
  name: 'errors',
  actionId: 'aws:lambda:invocation-error',
  status: 'succeeded' as const,
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:01.000Z',
  durationMs: 1000,
  output: 'error:status=500 for 1s',
};

function journal(overrides: Partial<ExperimentJournal>): ExperimentJournal {
  return {
    experiment: 'api-errors',
    engine: 'local',
    status: 'completed',
    deviated: false,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    dryRun: false,
    activities: [activity],
    ...overrides,
  };
}

// One judgement for the gate's chaos stage and the drills; only the id and stage differ.
test.each([
  ['completed', {}, 'passed', 'completed: error:status=500 for 1s'],
  [
    'an expectation did not hold',
    { deviated: true },
    'failed',
    'the experiment ran, but an expectation did not hold',
  ],
  ['dry run', { dryRun: true }, 'skipped', 'error:status=500 for 1s'],
  ['interrupted', { status: 'interrupted' as const }, 'error', 'interrupted; every fault was cleared'],
  [
    'stopped by a stop condition',
    { status: 'aborted' as const, stoppedBy: 'Errors', error: 'stop condition Errors entered ALARM' },
    'failed',
    'stopped by stop condition Errors: stop condition Errors entered ALARM',
  ],
  [
    'steady state not met',
    {
      status: 'failed' as const,
      deviated: true,
      activities: [],
      error: 'steady state not met: Errors is ALARM',
    },
    'failed',
    'steady state not met: Errors is ALARM',
  ],
  ['failed without a reason', { status: 'failed' as const }, 'failed', 'failed'],
])('%s', (_case, overrides, status, message) => {
  for (const place of [
    { id: 'experiment:api-errors', stage: 'chaos' as const },
    { id: 'drill:alert:experiment', stage: 'drill' as const },
  ]) {
    expect(buildExperimentCheck(journal(overrides), { description: 'the API fails' }, place)).toEqual({
      id: place.id,
      kind: 'experiment',
      name: 'experiment api-errors (the API fails)',
      status,
      measured: journal(overrides).status,
      threshold: 'completed',
      message,
      stage: place.stage,
    });
  }
});
