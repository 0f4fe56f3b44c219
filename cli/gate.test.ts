import { expect, test } from 'vitest';
import { UsageError } from '../core/errors.ts';
import { checkBaselineUsage } from './gate.ts';

const all = ['preflight', 'canaries', 'load', 'chaos', 'canaries-after', 'assertions'];

test.each([
  // [--baseline, load.default, stages the gate runs, the usage error or undefined]
  [undefined, undefined, all, undefined],
  [undefined, 'steady', ['preflight', 'canaries'], undefined],
  ['latest-passed', 'steady', all, undefined],
  [
    'latest-passed',
    undefined,
    all,
    '--baseline compares the load stage, but the suite has no default load profile',
  ],
  [
    'RUN_ID',
    'steady',
    ['preflight', 'canaries', 'chaos'],
    '--baseline compares the load stage, which --only/--skip leaves out',
  ],
])('gate --baseline %s with load.default %s and stages %j: %s', (baseline, profile, stages, message) => {
  const check = () => checkBaselineUsage(baseline, profile, stages);
  if (message === undefined) {
    expect(check).not.toThrow();
  } else {
    expect(check).toThrow(UsageError);
    expect(check).toThrow(message);
  }
});
