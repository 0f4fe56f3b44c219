import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

// Each case spawns the CLI (tsx start-up); on a busy machine that takes seconds.
vi.setConfig({ testTimeout: 90_000 });

import type { RunResult } from '../core/run-result.ts';
import { findTool, repoPath } from '../core/tools.ts';
import { type OpsproofRun, runOpsproof } from '../test-support/run-opsproof.ts';
import { buildProgram } from './main.ts';

function runCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<OpsproofRun> {
  return runOpsproof(args, {
    cwd: options.cwd,
    timeoutMs: 60_000,
    env: { OPSPROOF_DEBUG: '', ...options.env },
  });
}

function writeConfig(dir: string, body: string): string {
  const file = join(dir, 'opsproof.config.ts');
  writeFileSync(file, `import { defineSuite } from 'opsproof';\n\nexport default defineSuite(${body});\n`);
  return file;
}

const servers: Server[] = [];
let targetUrl: string;
let notReadyUrl: string;

async function startTarget(readyStatus: number): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === '/health/ready') {
      res.writeHead(readyStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: readyStatus === 200 ? 'ready' : 'not ready' }));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  targetUrl = await startTarget(200);
  notReadyUrl = await startTarget(503);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

function tempDir(): string {
  return realpathSync(mkdtempSync(join(tmpdir(), 'opsproof-cli-')));
}

describe('gate against a local server', () => {
  test('--json prints only the RunResult on stdout and writes the run directory', async () => {
    const dir = tempDir();
    writeConfig(
      dir,
      `{ service: 'tiny', environments: { local: { target: '${targetUrl}', readyPath: '/health/ready' } } }`,
    );
    const run = await runCli(['gate', '--json'], { cwd: dir });
    expect(run.stderr).toContain('verdict: PASSED');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as RunResult;
    expect(result.status).toBe('passed');
    expect(result.service).toBe('tiny');
    expect(result.target).toBe(targetUrl);
    expect(result.checks).toEqual([
      expect.objectContaining({ id: 'health:ready', kind: 'health', status: 'passed', measured: 200 }),
    ]);
    // A suite with no canaries, load, experiments or expectations: every later stage has nothing to do.
    expect(result.stages[0]).toMatchObject({ name: 'preflight', status: 'passed' });
    expect(result.stages.slice(1).map((s) => s.status)).toEqual(result.stages.slice(1).map(() => 'skipped'));
    const runDir = join(dir, 'reports', result.runId);
    for (const file of ['result.json', 'junit.xml', 'summary.md', 'report.html']) {
      expect(existsSync(join(runDir, file)), file).toBe(true);
    }
    expect(realpathSync(join(dir, 'reports', 'latest'))).toBe(runDir);
    // stdout and result.json are the same final value, with what the reporters added in memory
    // (report.png, when Chromium is here): nothing read result.json back.
    expect(JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8'))).toEqual(result);
    if (findTool('chromium')) {
      expect(existsSync(join(runDir, 'report.png'))).toBe(true);
      expect(result.artifacts).toContainEqual(expect.objectContaining({ path: 'report.png' }));
    }
  });

  test('a target that is not ready fails the health check: exit 1', async () => {
    const dir = tempDir();
    writeConfig(
      dir,
      `{ service: 'tiny', environments: { local: { target: '${notReadyUrl}', readyPath: '/health/ready' } } }`,
    );
    const run = await runCli(['gate', '--out', 'out'], { cwd: dir });
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('verdict: FAILED');
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as RunResult;
    expect(result.checks[0]).toMatchObject({ status: 'failed', measured: 503 });
    expect(readFileSync(join(dir, 'out', 'junit.xml'), 'utf8')).toContain('<failure');
  });

  test('a closed port exits 3 with one clear sentence and no stack trace', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const dir = tempDir();
    writeConfig(dir, `{ service: 'tiny', environments: { down: { target: 'http://127.0.0.1:${port}' } } }`);
    const run = await runCli(['gate', '--env', 'down'], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `error: target http://127.0.0.1:${port} of environment "down" is unreachable: connection refused.`,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('unknown stage in --only is a usage error: exit 2', async () => {
    const dir = tempDir();
    writeConfig(dir, `{ service: 'tiny', environments: { local: { target: '${targetUrl}' } } }`);
    const run = await runCli(['gate', '--only', 'nope'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown stage "nope"');
  });

  test.each([
    { command: ['gate'], extra: ['--only', 'nope'], problems: 3 },
    { command: ['load', 'run', '--rate', '5'], extra: [], problems: 2 },
  ])(
    'bad --kpi values of $command.0 exit 2 before anything runs, all named in one error',
    async ({ command, extra, problems }) => {
      // A target on a closed port: had the run started, it would have exited 3 (unreachable).
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const dir = tempDir();
      writeConfig(
        dir,
        `{ service: 'tiny', environments: { local: { target: 'http://127.0.0.1:${port}' } } }`,
      );
      const run = await runCli(
        [...command, '--kpi', 'fast please', '--kpi', 'p(95)<300', '--kpi', 'rate<2', ...extra, '--json'],
        { cwd: dir },
      );
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`error: ${problems} problems with the arguments:`);
      expect(run.stderr).toContain('--kpi "fast please" is not a threshold');
      expect(run.stderr).toContain('--kpi "rate<2": rate is a fraction between 0 and 1');
      expect(run.stderr).not.toContain('p(95)<300"');
      if (extra.length) expect(run.stderr).toContain('unknown stage "nope"');
      // The accepted syntax, once.
      expect(run.stderr).toContain("hint: a KPI is a k6-style threshold AGG OP NUMBER, e.g. 'p(95)<300'");
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'reports'))).toBe(false);
    },
  );
});

test('Ctrl-C while the target starts stops it and exits 130', async () => {
  const dir = tempDir();
  const pidFile = join(dir, 'target.pid');
  const target = `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`;
  writeConfig(
    dir,
    `{ service: 'tiny', environments: { local: { target: 'http://127.0.0.1:0', start: { command: [${JSON.stringify(process.execPath)}, '-e', ${JSON.stringify(target)}], readyTimeout: '60s' } } } }`,
  );
  const child = spawn(process.execPath, [repoPath('bin', 'opsproof.js'), 'gate', '--json'], {
    cwd: dir,
    env: { ...process.env, CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + 60_000;
  while (!existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const targetPid = Number(readFileSync(pidFile, 'utf8'));
  child.kill('SIGINT');
  expect(await closed).toBe(130);
  expect((JSON.parse(stdout) as RunResult).status).toBe('interrupted');
  // The target was killed; give init a moment to reap it.
  const alive = () => {
    try {
      process.kill(targetPid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  expect(alive()).toBe(false);
});

test('a config with three mistakes lists all three with their paths and exits 2', async () => {
  const dir = tempDir();
  writeConfig(
    dir,
    `{
  service: 'tiny',
  environments: {
    local: { target: 'http://127.0.0.1:1', timeScale: 'fast' },
    cloud: { target: 'http://127.0.0.1:2', provider: 'gcp' },
  },
  kpis: { p99: -5 },
} as never`,
  );
  const run = await runCli(['gate'], { cwd: dir });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('environments.local.timeScale: expected number, got "fast"');
  expect(run.stderr).toContain('environments.cloud.provider: expected one of "embedded", "aws", got "gcp"');
  expect(run.stderr).toContain('kpis.p99: expected a positive number, got -5');
  expect(run.stderr).toContain('3 problems');
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stdout).toBe('');
});

test('alarms test on a file that does not exist: exit 2, naming the file, no stack trace', async () => {
  const run = await runCli(['alarms', 'test', 'x.yaml'], { cwd: tempDir() });
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^error: x\.yaml: cannot read: ENOENT/);
  expect(run.stderr).not.toMatch(/\n\s+at /);
});

describe('--help', () => {
  // Every command and flag of DESIGN.md's CLI contract.
  const contract: [string[], string[]][] = [
    [['gate'], ['--env', '--config', '--out', '--json', '--kpi', '--only', '--skip']],
    [['drill'], ['<name>', '--env']],
    [['demo'], ['--port']],
    [
      ['canary', 'run'],
      ['[names...]', '--env', '--url', '--file', '--remote'],
    ],
    [['canary', 'status'], ['--env']],
    [['canary', 'watch'], ['--every']],
    [['canary', 'package'], ['--out']],
    [
      ['load', 'k6'],
      ['[name]', '--out'],
    ],
    [
      ['load', 'run'],
      ['[name]', '--url', '--rate', '--duration', '--connections', '--engine', '--kpi', '--baseline'],
    ],
    [
      ['chaos', 'run'],
      ['<experiment>', '--env', '--dry-run', '--allow-production'],
    ],
    [
      ['chaos', 'gateway'],
      ['--upstream', '--listen', '--control', '--fault', '--ttl'],
    ],
    [['assert'], ['[names...]', '--env']],
    [['alarms', 'test'], ['<files...>']],
    [['report'], ['[run-dir]', '--format', '--trend', '--since', '--out']],
    [['history'], ['--kind', '--name', '--env', '--since', '--json', '--history']],
    [['init'], ['--url', '--openapi', '--start', '--staging', '--region', '--dir', '--force']],
    [['check'], ['--config', '--env']],
    [['synth'], ['--env', '--config']],
    [['diff'], ['--env', '--config']],
    [['deploy'], ['--env', '--config', '--yes', '--allow-production', '--confirm-env']],
    [['doctor'], ['--install', '--json']],
  ];

  test('opsproof --help lists every command with its flags', async () => {
    const run = await runCli(['--help'], { cwd: tempDir() });
    expect(run.code).toBe(0);
    for (const [command, flags] of contract) {
      const line = run.stdout.split('\n').find((l) => l.trim().startsWith(`opsproof ${command.join(' ')} `));
      expect(line, command.join(' ')).toBeDefined();
      for (const flag of flags) expect(line, `${command.join(' ')} ${flag}`).toContain(flag);
    }
  });

  test('opsproof load run --help prints the command help on stdout', async () => {
    const run = await runCli(['load', 'run', '--help'], { cwd: tempDir() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: opsproof load run [options] [name]');
    expect(run.stdout).toContain('--baseline <run>');
  });

  test.each(contract)('opsproof %s --help lists its flags', (command, flags) => {
    let found: Command | undefined = buildProgram();
    for (const name of command) found = found?.commands.find((c) => c.name() === name);
    expect(found, command.join(' ')).toBeDefined();
    const help = found!.helpInformation();
    expect(help).toContain(`Usage: opsproof ${command.join(' ')}`);
    for (const flag of flags) {
      expect(help).toContain(flag.startsWith('--') ? flag : flag.replace(/[[\]<>.]/g, ''));
    }
  });
});
