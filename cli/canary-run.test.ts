import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { requireTool } from '../core/tools.ts';
import { startDemoServer } from '../demo/server.ts';

const exec = promisify(execFile);
const repo = join(import.meta.dirname, '..');
const chromium = requireTool('chromium');

async function opsproof(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [join(repo, 'bin/opsproof.js'), ...args], {
      cwd: repo,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsproof-cli-canary-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(chromium.skip)('opsproof canary run', () => {
  test('--env local passes against the demo service', async () => {
    const out = join(dir, 'local');
    const { code, stderr } = await opsproof(['canary', 'run', '--env', 'local', '--out', out, '--json']);
    expect(stderr).toContain('verdict: PASSED');
    expect(code).toBe(0);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.canaries?.map((c) => c.name).sort()).toEqual(['api-roundtrip', 'health', 'web-form']);
  });

  test('with the target down: exit 1, the failed canary and step named, the screenshot in the run dir', async () => {
    const demo = await startDemoServer({ port: 0, log: () => {} });
    await demo.close();
    const out = join(dir, 'down');
    const { code, stderr } = await opsproof(['canary', 'run', 'web-form', '--url', demo.url, '--out', out]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/canary web-form failed: step "open form" failed: .*ERR_CONNECTION_REFUSED/);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
    const shot = result.artifacts.find((a) => a.kind === 'screenshot');
    expect(shot?.path).toMatch(/^canaries\/web-form\/attempt1-open-form\.png$/);
    expect(existsSync(join(out, shot?.path ?? 'missing'))).toBe(true);
  });

  test('--url with --file runs a user canary kept outside the project', async () => {
    const demo = await startDemoServer({ port: 0, log: () => {} });
    try {
      const file = join(dir, 'mine.canary.ts');
      await writeFile(
        file,
        `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'mine', type: 'browser' }, async ({ page, http, step, baseUrl }) => {
  await step('ready', async () => {
    const res = await http.get(baseUrl + '/health/ready');
    if (res.status !== 200) throw new Error('ready ' + res.status);
  });
  await step('page', async () => {
    await page.goto(baseUrl + '/');
    await page.getByRole('button', { name: 'Save' }).waitFor();
  });
});
`,
      );
      const out = join(dir, 'user');
      const { code, stderr } = await opsproof([
        'canary',
        'run',
        '--url',
        demo.url,
        '--file',
        file,
        '--out',
        out,
      ]);
      expect(stderr).toContain('canary mine: 2 steps passed');
      expect(code).toBe(0);
      // The config in the working directory (the demo suite, with alarms) is not this run's.
      const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
      expect(result.service).toBe('adhoc');
      expect(result.target).toBe(demo.url);
      expect(result.timeline.filter((r) => r.type === 'alarm.state')).toEqual([]);
    } finally {
      await demo.close();
    }
  });
});

test('opsproof canary package writes one zip per canary', async () => {
  const out = join(dir, 'zips');
  const { code } = await opsproof(['canary', 'package', '--out', out]);
  expect(code).toBe(0);
  expect((await readdir(out)).sort()).toEqual(['api-roundtrip.zip', 'health.zip', 'web-form.zip']);
});
