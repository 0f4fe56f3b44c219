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

// One owner of fault.start (issue #22): the local engine announces what it injects, the gateway in
// front of the target does not announce it again, so expectations anchored on a fault see it once.
test('the gate timeline has one fault.start and one fault.end per injected fault', async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'opsproof-gate-faults-')));
  writeFileSync(
    join(dir, 'opsproof.config.ts'),
    `import { defineSuite } from 'opsproof';
const fn = { resourceType: 'aws:lambda:function', resourceTags: { service: 'demo' }, selectionMode: 'ALL' };
export default defineSuite({
  service: 'opsproof-demo',
  environments: { local: { target: 'http://127.0.0.1:0', demo: true, readyPath: '/health/ready' } },
  load: {
    profiles: { bg: { model: 'open', rate: 20, duration: '4s', requests: [{ path: '/api/measurements' }] } },
  },
  experiments: {
    two: {
      targets: { Functions: fn },
      actions: {
        errors: {
          actionId: 'aws:lambda:invocation-error',
          parameters: { duration: 'PT1S', invocationPercentage: '50', preventExecution: 'true' },
          targets: { Functions: 'Functions' },
        },
        delay: {
          actionId: 'aws:lambda:invocation-add-delay',
          parameters: { duration: 'PT1S', startupDelayMilliseconds: '5' },
          targets: { Functions: 'Functions' },
          startAfter: ['errors'],
        },
      },
      load: 'bg',
      localPath: '/api/*',
      expect: [],
    },
  },
});
`,
  );
  const run = await runCli(['gate', '--only', 'preflight,chaos', '--out', 'out'], dir);
  expect(run.code, run.stderr).toBe(0);
  const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as RunResult;
  const faults = result.experiments?.[0]?.activities.filter((a) => a.matchedRequests !== undefined) ?? [];
  expect(faults.map((a) => a.name)).toEqual(['errors', 'delay']);
  const starts = result.timeline.filter((r) => r.type === 'fault.start');
  const ends = result.timeline.filter((r) => r.type === 'fault.end');
  expect(starts.map((r) => r.type === 'fault.start' && r.action)).toEqual(['errors', 'delay']);
  expect(new Set(starts.map((r) => r.faultId)).size).toBe(2);
  expect(ends.map((r) => r.faultId)).toEqual(starts.map((r) => r.faultId));
});
