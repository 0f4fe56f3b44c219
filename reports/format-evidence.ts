import type { AlarmEvidence } from '../core/run-result.ts';

/**
 * An alarm check's evidence in a few words, for every report: how many datapoints the alarm
 * evaluated in the check's window and the transition timed, e.g. `5 datapoints · OK→ALARM at
 * 16:47:35 UTC`, `0 datapoints · no transition`. Pure.
 */
export function formatEvidence(evidence: AlarmEvidence): string {
  const n = evidence.datapointCount;
  const count = n === null ? 'datapoints unknown' : `${n} datapoint${n === 1 ? '' : 's'}`;
  const t = evidence.transition;
  return `${count} · ${t ? `${t.from}→${t.to} at ${t.at.slice(11, 19)} UTC` : 'no transition'}`;
}
