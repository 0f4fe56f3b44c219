import { execFileSync } from 'node:child_process';

/**
 * The commit a run tested: CI's own variable when set (GitHub Actions, GitLab, Buildkite, CircleCI),
 * else `git rev-parse HEAD` in `cwd` (bounded to 2 s), else null.
 */
export function detectCommit(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  for (const name of ['GITHUB_SHA', 'CI_COMMIT_SHA', 'BUILDKITE_COMMIT', 'CIRCLE_SHA1']) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      timeout: 2000,
      stdio: ['ignore', 'pipe', 'ignore'],
      encoding: 'utf8',
    }).trim();
    return /^[0-9a-f]{7,64}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}
