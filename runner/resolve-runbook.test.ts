import { expect, test } from 'vitest';
import { resolveRunbook } from './resolve-runbook.ts';

test.each([
  // The usual run directory, reports/<run-id>/ beside the config: relative to it, as the reports link.
  ['demo/runbooks/x.md', '/cfg', '/cfg/reports/20260101T000000Z-abcd', '../../demo/runbooks/x.md'],
  ['./x.md', '/cfg', '/cfg/out', '../x.md'],
  ['/cfg/docs/x.md', '/cfg', '/cfg/reports/r', '../../docs/x.md'],
  // --out outside the config's folder: relative to the config's folder, never /tmp/… or ../../work/…
  ['demo/runbooks/x.md', '/work/main', '/tmp/out', 'demo/runbooks/x.md'],
  ['/work/main/docs/x.md', '/work/main', '/tmp/out', 'docs/x.md'],
  // Outside the config's folder: as the config writes it.
  ['/abs/x.md', '/cfg', '/cfg/reports/r', '/abs/x.md'],
  ['../shared/x.md', '/cfg/sub', '/cfg/sub/reports/r', '../shared/x.md'],
  ['https://wiki.example.com/runbooks/x', '/cfg', '/cfg/reports/r', 'https://wiki.example.com/runbooks/x'],
  [undefined, '/cfg', '/cfg/reports/r', undefined],
  ['', '/cfg', '/cfg/reports/r', undefined],
])('resolveRunbook(%j) with the config in %s and the run in %s = %j', (runbook, dir, outDir, expected) => {
  expect(resolveRunbook(runbook, { loaded: { dir }, outDir })).toBe(expected);
});
