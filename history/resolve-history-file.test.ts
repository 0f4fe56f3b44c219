import { expect, test } from 'vitest';
import { detectCommit } from './detect-commit.ts';
import { resolveHistoryFile } from './resolve-history-file.ts';

test.each([
  { name: 'default beside the reports', input: {}, file: '/work/reports/history.db' },
  {
    name: 'the config, relative to its file',
    input: { configFile: 'ci/h.db', configDir: '/repo' },
    file: '/repo/ci/h.db',
  },
  {
    name: 'the environment over the config',
    input: { env: { OPSPROOF_HISTORY: 'cache/h.db' }, configFile: 'ci/h.db', configDir: '/repo' },
    file: '/work/cache/h.db',
  },
  {
    name: 'the flag over everything',
    input: { flag: '/tmp/h.db', env: { OPSPROOF_HISTORY: 'cache/h.db' }, configFile: 'x.db' },
    file: '/tmp/h.db',
  },
  { name: 'off by the flag', input: { flag: 'off', configFile: 'x.db' }, file: undefined },
  { name: 'off by the environment', input: { env: { OPSPROOF_HISTORY: '0' } }, file: undefined },
])('$name', ({ input, file }) => {
  expect(resolveHistoryFile({ cwd: '/work', env: {}, ...input })).toBe(file);
});

test.each([
  { env: { GITHUB_SHA: 'aaa1111', CI_COMMIT_SHA: 'bbb2222' }, commit: 'aaa1111' },
  { env: { CI_COMMIT_SHA: 'bbb2222' }, commit: 'bbb2222' },
  { env: { CIRCLE_SHA1: 'ccc3333' }, commit: 'ccc3333' },
])('commit from CI: $env', ({ env, commit }) => {
  expect(detectCommit(env, '/nonexistent')).toBe(commit);
});

test('commit from git when CI says nothing; none outside a repository', () => {
  expect(detectCommit({}, process.cwd())).toMatch(/^[0-9a-f]{40}$/);
  expect(detectCommit({}, '/')).toBeNull();
});
