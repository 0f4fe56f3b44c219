import type { RunResult } from '../core/run-result.ts';

/** result.json: the RunResult as indented JSON. */
export function buildJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
