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
export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type AlarmStateValue = (typeof ALARM_STATES)[number];

/** Is `value` one of CloudWatch's alarm states (as read from an event or an API answer)? */
export function isAlarmState(value: unknown): value is AlarmStateValue {
  return (ALARM_STATES as readonly unknown[]).includes(value);
}
