import type { AlarmEvidence } from '../core/run-result.ts';

/**
 * An alarm check's evidence in a few words, for every report: how many datapoints the alarm
 * evaluated in the check's window and the transition timed, e.g. `5 datapoints · OK→ALARM at
 * 16:47:35 UTC`, `0 datapoints · no transition`; for a composite, whose children they are
 * (`14 datapoints of ApiErrorRate, HighLatencyP99 · no transition`). Pure.
 */
export function formatEvidence(evidence: AlarmEvidence): string {
  const n = evidence.datapointCount;
  const count = n === null ? 'datapoints unknown' : `${n} datapoint${n === 1 ? '' : 's'}`;
  // A composite alarm's datapoints are its children's: name them.
  const children = [...new Set(evidence.datapoints.flatMap((d) => (d.alarm ? [d.alarm] : [])))];
  const of = children.length > 0 ? ` of ${children.join(', ')}` : '';
  const t = evidence.transition;
  return `${count}${of} · ${t ? `${t.from}→${t.to} at ${t.at.slice(11, 19)} UTC` : 'no transition'}`;
}
