/**
 * The closed sets result.json and the Timeline's events share. They live here, below both, so
 * events.ts and run-result.ts need not import each other; run-result.ts re-exports them.
 */

export type RunStatus = 'passed' | 'failed' | 'error' | 'interrupted';
export type CheckStatus = 'passed' | 'failed' | 'error' | 'skipped';

export type StageName =
  | 'preflight'
  | 'canaries'
  | 'load'
  | 'chaos'
  | 'canaries-after'
  | 'assertions'
  | 'drill';

/** A chaos journal's closed status (chaostoolkit-lib's), kept apart from `deviated`. */
export type JournalStatus = 'completed' | 'failed' | 'aborted' | 'interrupted';

/** A CloudWatch alarm's `StateValue`: telemetry reports it, `alarm.state` events and checks carry it. */
export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
