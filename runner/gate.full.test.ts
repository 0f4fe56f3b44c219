import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { repoPath, requireTool } from '../core/tools.ts';
import { findMachinePaths, machineNeedles, readArtifacts } from '../test-support/scan-machine-paths.ts';

const chromium = requireTool('chromium');

// The whole local gate (what `npm start` runs after setup), once: the slow test of the suite.
test.skipIf(chromium.skip !== undefined)(
  'the local gate against the demo passes and writes the four reports',
  { timeout: 110_000, retry: 0 },
  async () => {
    const out = mkdtempSync(join(tmpdir(), 'opsproof-gate-full-'));
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [repoPath('bin', 'opsproof.js'), 'gate', '--env', 'local', '--out', out],
        {
          cwd: repoPath(),
          env: { ...process.env, CI: 'true' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let text = '';
      child.stderr.on('data', (chunk) => {
        text += chunk;
      });
      const timer = setTimeout(() => child.kill('SIGINT'), 100_000);
      child.on('error', reject);
      child.on('close', (exit) => {
        clearTimeout(timer);
        resolve({ code: exit, stderr: text });
      });
    });
    expect(code, stderr).toBe(0);
    for (const file of ['result.json', 'junit.xml', 'summary.md', 'report.html']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.stages.map((s) => [s.name, s.status])).toEqual([
      ['preflight', 'passed'],
      ['canaries', 'passed'],
      ['load', 'passed'],
      ['chaos', 'passed'],
      ['canaries-after', 'passed'],
      ['assertions', 'passed'],
    ]);
    // Every experiment ran with its expectations; the alarms that fired link their runbooks.
    expect(result.experiments?.map((e) => [e.experiment, e.status, e.deviated])).toEqual([
      ['api-latency', 'completed', false],
      ['api-errors', 'completed', false],
      ['process-kill', 'completed', false],
    ]);
    expect(result.checks.find((c) => c.id.startsWith('expectation:api-errors:0'))).toMatchObject({
      status: 'passed',
      // --out is in the temp folder, outside the config's folder: named from that folder, no machine path.
      runbook: 'demo/runbooks/high-error-rate.md',
    });
    expect(stderr).toContain('verdict: PASSED');
    // Every stage's artifacts, experiment journals included, name no path of the machine.
    expect(findMachinePaths(await readArtifacts(out), machineNeedles(out, realpathSync(out)))).toEqual([]);
  },
);
