import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { parse } from 'yaml';

interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface GithubWorkflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { steps: GithubStep[]; env: Record<string, string> }>;
}
interface GitlabJob {
  stage: string;
  allow_failure: boolean;
  id_tokens: Record<string, { aud: string }>;
  variables: Record<string, string>;
  before_script: string[];
  script: string[];
  artifacts: { when: string; paths: string[]; reports: { junit: string } };
  cache: { key: unknown; paths: string[]; when?: string }[];
}

const read = (path: string) => parse(readFileSync(new URL(path, import.meta.url), 'utf8'));

test('the GitHub workflow runs the gate with OIDC, uploads reports and writes the step summary', () => {
  const workflow = read('./github-actions/opsproof-gate.yml') as GithubWorkflow;
  expect(workflow.permissions['id-token']).toBe('write');
  expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(['push', 'workflow_dispatch']));
  const gate = workflow.jobs.gate!;
  expect(gate.env.CI).toBe('true');
  const steps = gate.steps;
  const find = (predicate: (step: GithubStep) => boolean) => {
    const index = steps.findIndex(predicate);
    expect(index).toBeGreaterThanOrEqual(0);
    return { index, step: steps[index]! };
  };

  const aws = find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@') ?? false);
  expect(aws.step.with?.['role-to-assume']).toBeTruthy();
  expect(aws.step.if).toContain("!= 'local'");
  const run = find((step) => /npx opsproof gate --env "\$OPSPROOF_ENV"/.test(step.run ?? ''));
  expect(run.index).toBeGreaterThan(aws.index);
  for (const code of ['0)', '1)', '2)', '3)', '130)']) expect(run.step.run).toContain(code);
  expect(run.step.run).toMatch(/exit "\$code"/);

  const summary = find((step) => step.run?.includes('$GITHUB_STEP_SUMMARY') ?? false);
  expect(summary.step.if).toBe('always()');
  expect(summary.step.run).toContain('reports/latest/summary.md');
  const upload = find((step) => step.uses?.startsWith('actions/upload-artifact@') ?? false);
  expect(upload.step.if).toBe('always()');
  expect(upload.step.with?.path).toBe('reports/latest/');
  expect(Math.min(summary.index, upload.index)).toBeGreaterThan(run.index);
  expect(steps.some((step) => 'continue-on-error' in step)).toBe(false);

  // The run history is restored before the gate (and saved after it by the cache action).
  const history = find((step) => step.uses?.startsWith('actions/cache@') ?? false);
  expect(history.step.with?.path).toBe('reports/history.db');
  expect(String(history.step.with?.['restore-keys'])).toMatch(/^opsproof-history-/);
  expect(history.index).toBeLessThan(run.index);
});

test('the GitLab job runs the gate with OIDC web identity, blocks, and publishes JUnit', () => {
  const job = (read('./gitlab-ci/opsproof-gate.gitlab-ci.yml') as Record<string, GitlabJob>)[
    'opsproof-gate'
  ]!;
  expect(job.allow_failure).toBe(false);
  expect(job.id_tokens.AWS_ID_TOKEN?.aud).toBe('sts.amazonaws.com');
  expect(job.variables.AWS_ROLE_ARN).toBeTruthy();
  expect(job.variables.CI).toBe('true');
  const setup = job.before_script.join('\n');
  expect(setup).toContain('AWS_WEB_IDENTITY_TOKEN_FILE');
  expect(setup).toContain('$AWS_ID_TOKEN');
  expect(job.script).toContain('npx opsproof gate --env "$OPSPROOF_ENV"');
  expect(job.artifacts.when).toBe('always');
  expect(job.artifacts.paths).toContain('reports/');
  expect(job.artifacts.reports.junit).toBe('reports/latest/junit.xml');
  const history = job.cache.find((cache) => cache.paths.includes('reports/history.db'));
  expect(history?.when).toBe('always');
});

test('the README documents every exit code and how to block a release', () => {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  for (const code of ['0', '1', '2', '3', '130'])
    expect(readme).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|`));
  expect(readme).toContain('required status checks');
  expect(readme).toContain('allow_failure: false');
});
