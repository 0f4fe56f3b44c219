import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { repoPath } from '../core/tools.ts';
import { findMachinePaths, machineNeedles, readArtifacts } from '../test-support/scan-machine-paths.ts';

// Each drill runs the real demo service, load and fault (alert ≈ 20 s, dr ≈ 10 s).
vi.setConfig({ testTimeout: 90_000 });

function drill(name: string): Promise<{ code: number | null; stderr: string; out: string }> {
  const out = mkdtempSync(join(tmpdir(), `opsproof-drill-${name}-`));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [repoPath('bin', 'opsproof.js'), 'drill', name, '--env', 'local', '--out', out],
      { cwd: repoPath(), env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGINT'), 80_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, out });
    });
  });
}

function read(out: string): { result: RunResult; markdown: string } {
  return {
    result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult,
    markdown: readFileSync(join(out, 'drill.md'), 'utf8'),
  };
}

test('drill dr kills the demo, measures time to detect and to recover against the RTO', async () => {
  const run = await drill('dr');
  expect(run.code, run.stderr).toBe(0);
  const { result, markdown } = read(run.out);
  const report = result.drill!;
  expect(report).toMatchObject({ name: 'dr', kind: 'dr', experiment: 'process-kill', objectiveMs: 30_000 });
  expect(report.timeToDetectMs).toBeGreaterThanOrEqual(0);
  expect(report.timeToRecoverMs).toBeGreaterThan(report.timeToDetectMs!);
  expect(report.impact.failedRequests).toBeGreaterThan(0);
  expect(report.rootCause).toMatch(/^injected by drill dr: process-kill/);
  expect(result.checks.map((c) => [c.id, c.status])).toEqual([
    ['health:ready', 'passed'],
    ['drill:dr:experiment', 'passed'],
    ['drill:dr:detect', 'passed'],
    ['drill:dr:rto', 'passed'],
  ]);
  // The post-incident template, with the measured times filled in and the action items open.
  for (const heading of ['### Timeline', '### Impact', '### Root Cause', '### Action Items']) {
    expect(markdown).toContain(heading);
  }
  expect(markdown).toMatch(/- Detection: \S+ \(\+[\d.]+m?s\) — canary api-roundtrip failed/);
  expect(markdown).toMatch(/- Resolution: \S+ \(\+[\d.]+m?s\)/);
  expect(markdown).toContain('- [ ] Monitoring improvement');
  expect(result.artifacts).toContainEqual({ name: 'drill.md', path: 'drill.md', kind: 'report' });
});

test('drill alert fires the alarm, delivers its critical notification, and measures recovery', async () => {
  const run = await drill('alert');
  expect(run.code, run.stderr).toBe(0);
  const { result, markdown } = read(run.out);
  const report = result.drill!;
  expect(report).toMatchObject({ name: 'alert', kind: 'alert', alarm: 'HighErrorRate' });
  expect(report.timeToAlarmMs).toBeGreaterThan(0);
  expect(report.timeToRecoverMs).toBeGreaterThan(report.timeToAlarmMs!);
  expect(report.notifications).toContainEqual(
    expect.objectContaining({ alarm: 'HighErrorRate', state: 'ALARM', severity: 'critical' }),
  );
  // The run directory (--out in the temp folder) is outside the config's folder: the runbook is named
  // relative to that folder, never by an absolute path of the machine.
  const runbook = 'demo/runbooks/high-error-rate.md';
  expect(report.runbooks).toEqual([{ alarm: 'HighErrorRate', runbook }]);
  expect(result.checks.find((c) => c.id === 'drill:alert:alarm')).toMatchObject({
    status: 'passed',
    runbook,
    evidence: { alarm: 'HighErrorRate', transition: { to: 'ALARM' } },
  });
  // The datapoints that crossed the threshold are the evidence of the fault.
  const evidence = result.checks.find((c) => c.id === 'drill:alert:alarm')!.evidence!;
  expect(evidence.datapoints.some((d) => d.value > 0.05)).toBe(true);
  expect(result.checks.find((c) => c.id === 'drill:alert:recover')!.evidence!.transition).toMatchObject({
    from: 'ALARM',
    to: 'OK',
  });
  expect(result.checks.find((c) => c.id === 'drill:alert:notification')).toMatchObject({ status: 'passed' });
  expect(result.checks.find((c) => c.id === 'drill:alert:recover')).toMatchObject({ status: 'passed' });
  expect(markdown).toMatch(/- Detection: \S+ \(\+[\d.]+s\) — alarm HighErrorRate entered ALARM/);
  expect(markdown).toContain('| HighErrorRate | ALARM | critical |');
  // No machine path in any file of the run (reliability/no-machine-paths.test.ts scans the gate; this
  // drill is scanned here rather than run a second time there): drill.md links its runbook relatively.
  expect(markdown).toContain(`[${runbook}](${runbook})`);
  expect(
    findMachinePaths(await readArtifacts(run.out), machineNeedles(run.out, realpathSync(run.out))),
  ).toEqual([]);
});
