import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { repoPath, requireTool } from '../core/tools.ts';
import { findMachinePaths, machineNeedles, readArtifacts } from '../test-support/scan-machine-paths.ts';

// Issue 21: reports travel (CI artifacts, step summaries, attachments to tickets); none of them may
// carry an absolute path of the machine that ran the gate — runbook links least of all.

const chromium = requireTool('chromium');

function runCli(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
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
    const timer = setTimeout(() => child.kill('SIGINT'), 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

test.each([
  [['/work/proj/reports/x/result.json (name)', '/work/proj/reports/x/result.json'], 1],
  [['summary.md', '[runbook](../../runbooks/x.md)'], 0],
  [['drill.md', 'see /tmp/opsproof-abc/runbooks/x.md'], 1],
  [['report.html', '<a href="/root/runbooks/x.md">'], 0],
])('the scan itself finds what it looks for: %j → %d hits', ([path, text], hits) => {
  expect(findMachinePaths([{ path: path!, text: text! }], ['/work/proj', '/tmp/'])).toHaveLength(hits);
});

test.skipIf(chromium.skip !== undefined)(
  'a failing gate (KPI, canaries with screenshots and traces, expectations with runbooks) writes no machine path',
  { timeout: 120_000 },
  async () => {
    const raw = mkdtempSync(join(tmpdir(), 'opsproof-paths-'));
    const dir = realpathSync(raw);
    mkdirSync(join(dir, 'runbooks'));
    mkdirSync(join(dir, 'canaries'));
    writeFileSync(join(dir, 'runbooks', 'high-error-rate.md'), '# High error rate\n');
    writeFileSync(join(dir, 'runbooks', 'high-latency.md'), '# High latency\n');
    writeFileSync(
      join(dir, 'canaries', 'home.canary.ts'),
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'home', type: 'browser' }, async ({ page, step, baseUrl }) => {
  await step('open home', async () => {
    await page.goto(baseUrl + '/');
    await page.getByRole('button', { name: 'No such button' }).waitFor({ timeout: 1000 });
  });
});
`,
    );
    writeFileSync(
      join(dir, 'canaries', 'api.canary.ts'),
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'api', type: 'api' }, async ({ http, step, baseUrl }) => {
  await step('missing page', async () => {
    const res = await http.get(baseUrl + '/no-such-page');
    if (res.status !== 200) throw new Error('missing page answered ' + res.status);
  });
});
`,
    );
    const alarm = (name: string, metric: string, runbook: string) => ({
      AlarmName: name,
      Namespace: 'AWS/ApiGateway',
      MetricName: metric,
      Dimensions: [{ Name: 'ApiName', Value: 'opsproof-demo' }],
      Statistic: 'Average',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: metric === 'Latency' ? 100_000 : 0.5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      runbook,
    });
    writeFileSync(
      join(dir, 'opsproof.config.ts'),
      `import { defineSuite } from 'opsproof';
export default defineSuite(${JSON.stringify({
        service: 'opsproof-demo',
        environments: {
          local: { target: 'http://127.0.0.1:0', demo: true, readyPath: '/health/ready', timeScale: 30 },
        },
        canaries: { files: ['canaries/*.canary.ts'], retries: 0, stepTimeout: '5s' },
        load: {
          default: 'short',
          profiles: {
            short: { model: 'open', rate: 20, duration: '2s', requests: [{ path: '/api/measurements' }] },
          },
        },
        alarms: [
          // As configs write them: relative to the config's folder, and absolute.
          alarm('HighErrorRate', '5XXError', 'runbooks/high-error-rate.md'),
          alarm('HighLatency', 'Latency', join(dir, 'runbooks', 'high-latency.md')),
        ],
        expectations: [
          { kind: 'alarm-stays-ok', alarm: 'HighErrorRate', during: 'load' },
          // Fails (nothing makes it fire): a failed check with its runbook, first in every report.
          { kind: 'alarm-fires', alarm: 'HighLatency', within: '1s', after: 'load.start' },
        ],
      })});
`,
    );
    const gate = await runCli(
      ['gate', '--only', 'preflight,canaries,load,assertions', '--kpi', 'p(99)<1'],
      dir,
    );
    expect(gate.code, gate.stderr).toBe(1);
    const runDir = join(dir, 'reports', 'latest');
    const result = JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8')) as RunResult;
    // What the scan must cover is there: runbooks on checks, screenshots, a trace, the four reports.
    const runbooks = result.checks.flatMap((c) => (c.runbook ? [c.runbook] : []));
    expect(runbooks).toEqual(
      expect.arrayContaining(['../../runbooks/high-error-rate.md', '../../runbooks/high-latency.md']),
    );
    expect(result.artifacts.map((a) => a.kind)).toEqual(
      expect.arrayContaining(['screenshot', 'trace', 'snippet']),
    );
    const files = await readArtifacts(realpathSync(runDir));
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['result.json', 'junit.xml', 'summary.md', 'report.html']),
    );
    // The links resolve from the run directory, where the reports are.
    expect(readFileSync(join(runDir, 'summary.md'), 'utf8')).toContain(
      '[runbook](../../runbooks/high-latency.md)',
    );
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain(
      'href="../../runbooks/high-latency.md"',
    );
    expect(findMachinePaths(files, machineNeedles(dir, raw))).toEqual([]);
  },
);

// The alert drill (drill.md and its runbook link) is scanned in runner/drill.test.ts, which runs the
// same `drill alert --env local --out <temp>`: one run of the drill in the suite, not two.
