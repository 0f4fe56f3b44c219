import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoPath } from '../core/tools.ts';

// Chaos against an environment marked production, through the real CLI: refused without
// --allow-production, refused without --confirm-env naming the environment when nobody is at the
// terminal, refused without a stop condition (config experiments and FIS template files alike). Every
// refusal exits 2 before anything starts: the loopback target sees no request, no run directory exists.

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // stdin is not a TTY and CI=true: a non-interactive run, as in a pipeline.
    const child = spawn(process.execPath, [repoPath('bin', 'opsproof.js'), ...args], {
      cwd: repoPath(),
      env: { ...process.env, CI: 'true', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const wait = { w: { actionId: 'aws:fis:wait', parameters: { duration: 'PT1S' } } };
const errors = {
  errors: {
    actionId: 'aws:lambda:invocation-error',
    parameters: { duration: 'PT2S', invocationPercentage: '100', preventExecution: 'true' },
    targets: { Functions: 'Functions' },
  },
};
const functions = {
  Functions: { resourceType: 'aws:lambda:function', resourceTags: { service: 'x' }, selectionMode: 'ALL' },
};

describe('production guardrails through the CLI', () => {
  let server: Server;
  let requests = 0;
  let work: string;
  let config: string;
  let fisTemplate: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    work = mkdtempSync(join(tmpdir(), 'opsproof-guard-'));
    config = join(work, 'opsproof.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        service: 'guard-test',
        environments: { prod: { target, production: true }, staging: { target } },
        alarms: [
          {
            AlarmName: 'HighErrorRate',
            Namespace: 'AWS/ApiGateway',
            MetricName: '5XXError',
            Statistic: 'Sum',
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 1,
            ComparisonOperator: 'GreaterThanThreshold',
          },
        ],
        load: { profiles: { background: { rate: 5, duration: '1m' } } },
        experiments: {
          guarded: {
            targets: functions,
            actions: errors,
            stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'HighErrorRate' }],
            // Gateway faults need a load to match requests, else the config is refused before the guard.
            load: 'background',
          },
          unguarded: { actions: wait },
        },
      }),
    );
    fisTemplate = join(work, 'no-stop.json');
    writeFileSync(
      fisTemplate,
      JSON.stringify({
        experimentTemplate: {
          description: 'FIS template without a stop condition',
          targets: {},
          actions: wait,
          stopConditions: [{ source: 'none' }],
          roleArn: 'arn:aws:iam::123456789012:role/fis',
        },
      }),
    );
  }, 30_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test.each([
    [
      'production without --allow-production',
      ['guarded'],
      'error: refusing to run experiment guarded in production environment prod',
      'hint: pass --allow-production --confirm-env prod if you mean it',
    ],
    [
      '--allow-production, non-interactive, no --confirm-env',
      ['guarded', '--allow-production'],
      'error: refusing to run experiment guarded in production environment prod without confirmation',
      'hint: non-interactive runs must name the environment: --confirm-env prod',
    ],
    [
      '--allow-production, --confirm-env naming another environment',
      ['guarded', '--allow-production', '--confirm-env', 'staging'],
      'without confirmation',
      '--confirm-env prod',
    ],
    [
      'an experiment without a stop condition, even when confirmed',
      ['unguarded', '--allow-production', '--confirm-env', 'prod'],
      'error: refusing to run experiment unguarded in production environment prod: it has no stop condition',
      'stopConditions',
    ],
    [
      'an FIS template file without a stop condition, even when confirmed',
      ['FIS_TEMPLATE', '--allow-production', '--confirm-env', 'prod'],
      'it has no stop condition',
      'stopConditions',
    ],
    [
      '--dry-run does not bypass the guard',
      ['guarded', '--dry-run'],
      'refusing to run experiment guarded in production environment prod',
      '--allow-production',
    ],
  ])(
    '%s: exit 2, one clear sentence, nothing injected',
    async (_name, args, sentence, hint) => {
      const out = join(work, `run-${Math.random().toString(16).slice(2)}`);
      const before = requests;
      const argv = args.map((a) => (a === 'FIS_TEMPLATE' ? fisTemplate : a));
      const { code, stdout, stderr } = await runCli([
        'chaos',
        'run',
        ...argv,
        '--env',
        'prod',
        '--config',
        config,
        '--out',
        out,
      ]);
      expect(code, stderr).toBe(2);
      expect(stderr).toContain(sentence);
      expect(stderr).toContain(hint);
      expect(stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
      expect(stdout).toBe('');
      expect(requests).toBe(before);
      expect(existsSync(out)).toBe(false);
    },
    60_000,
  );

  test('control: confirmed and guarded, a production dry run passes the guard and injects nothing', async () => {
    const before = requests;
    const out = join(work, 'run-confirmed');
    const { code, stderr } = await runCli([
      'chaos',
      'run',
      'guarded',
      '--env',
      'prod',
      '--allow-production',
      '--confirm-env',
      'prod',
      '--dry-run',
      '--config',
      config,
      '--out',
      out,
    ]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('dry run');
    expect(existsSync(join(out, 'result.json'))).toBe(true);
    expect(requests).toBe(before);
  }, 60_000);
});
