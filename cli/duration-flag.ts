import { parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';

/**
 * A duration given on the command line, in milliseconds. Unlike in a config file, where a bare number
 * is milliseconds, a unit is required here: `--duration 10` almost always means ten seconds, and a
 * 10 ms load run or a 60 ms fault TTL is never what was meant. Go's durations, and so k6's flags,
 * refuse it the same way. `0` needs no unit.
 *
 * @param examples - what the error suggests instead, e.g. `30s or 5m`
 */
export function parseDurationFlag(flag: string, value: string, examples: string): number {
  const text = value.trim();
  const bare = /^\d+(\.\d+)?$/.test(text);
  if (bare && Number(text) !== 0) {
    throw new UsageError(`--${flag} needs a unit, got "${value}"`, {
      hint: `write ${text}s for seconds or ${text}ms for milliseconds (e.g. ${examples})`,
    });
  }
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--${flag} expects a duration like ${examples}, got "${value}"`);
  return ms;
}
