import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UsageError } from '../core/errors.ts';
import type { RunResult } from '../core/run-result.ts';
import { repoPath } from '../core/tools.ts';
import { gateStages } from './gate.ts';

function runCli(
  args: string[],
  cwd: string,
  timeoutMs = 80_000,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoPath('bin', 'opsproof.js'), ...args], {
      cwd,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('gateStages', () => {
  test.each([
    [{}, ['preflight', 'canaries', 'load', 'chaos', 'canaries-after', 'assertions']],
    [{ only: ['preflight,load'] }, ['preflight', 'load']],
    [{ only: ['preflight', 'load'] }, ['preflight', 'load']],
    [{ skip: ['chaos', 'canaries-after'] }, ['preflight', 'canaries', 'load', 'assertions']],
  ])('%j runs %j', (selection, names) => {
    expect(gateStages(selection).map((s) => s.name)).toEqual(names);
  });

  test('an unknown stage is a usage error that lists the stages', () => {
    expect(() => gateStages({ skip: ['load,chaoss'] })).toThrow(UsageError);
    expect(() => gateStages({ skip: ['chaoss'] })).toThrow(/"chaoss".*"preflight", "canaries", "load"/);
  });
});

// The gate's failing path, fast: the demo service, a 2 s load, and a KPI nobody can meet.
test('a KPI override that the load breaches fails the gate with exit 1, that KPI first', async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'opsproof-gate-')));
  writeFileSync(
    join(dir, 'opsproof.config.ts'),
    `import { defineSuite } from 'opsproof';
export default defineSuite({
  service: 'opsproof-demo',
  environments: { local: { target: 'http://127.0.0.1:0', demo: true } },
  load: {
    default: 'short',
    profiles: { short: { model: 'open', rate: 20, duration: '2s', requests: [{ path: '/api/measurements' }] } },
  },
});
`,
  );
  const run = await runCli(['gate', '--only', 'preflight,load', '--kpi', 'p(99)<1', '--out', 'out'], dir);
  expect(run.code, run.stderr).toBe(1);
  const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as RunResult;
  expect(result.status).toBe('failed');
  expect(result.stages.map((s) => [s.name, s.status])).toEqual([
    ['preflight', 'passed'],
    ['load', 'failed'],
  ]);
  expect(result.checks.find((c) => c.threshold === 'p(99)<1')).toMatchObject({
    kind: 'kpi',
    status: 'failed',
  });
  expect(result.load?.requests).toBeGreaterThan(0);
  // Failures first in the terminal summary, the markdown summary and as a failed JUnit testcase.
  const firstCheckLine = run.stderr.split('\n').find((l) => /^\s+[✓✗]/.test(l));
  expect(firstCheckLine).toMatch(/✗ p\(99\)<1/);
  const md = readFileSync(join(dir, 'out', 'summary.md'), 'utf8');
  expect(md.indexOf('p(99)<1')).toBeGreaterThan(-1);
  expect(md.indexOf('p(99)<1')).toBeLessThan(md.indexOf('target answers'));
  expect(readFileSync(join(dir, 'out', 'junit.xml'), 'utf8')).toMatch(
    /<testcase[^>]*p\(99\)&lt;1[^>]*>\s*<failure/,
  );
});
