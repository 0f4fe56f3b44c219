import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { findTool, requireTool } from '../core/tools.ts';
import { type DoctorReport, meetsMinimum, runDoctor } from './doctor.ts';

const exec = promisify(execFile);
const repo = join(import.meta.dirname, '..');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsproof-doctor-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function fakeTool(path: string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '#!/bin/sh\nexit 0\n');
  await chmod(path, 0o755);
  return path;
}

/** runDoctor --json in this process, its report and exit code. */
async function doctor(
  options: Parameters<typeof runDoctor>[1],
  flags: { install?: boolean } = {},
): Promise<{ code: number; report: DoctorReport }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await runDoctor({ ...flags, json: true }, options);
  vi.restoreAllMocks();
  return { code, report: JSON.parse(stdout) as DoctorReport };
}

describe('meetsMinimum', () => {
  test.each([
    ['20.18.1', '>=20.18.1', true],
    ['20.19.0', '>=20.18.1', true],
    ['22.0.0', '>=20.18.1', true],
    ['20.18.0', '>=20.18.1', false],
    ['18.20.4', '>=20.18.1', false],
    ['v20.18.1', '>=20.18.1', true],
    ['20.18.1', '^20', false],
  ])('%s against %s → %s', (version, range, ok) => {
    expect(meetsMinimum(version, range)).toBe(ok);
  });
});

describe('opsproof doctor', () => {
  test('a tool hidden from PATH and the project folders is missing: exit 3, the hint names doctor --install', async () => {
    const root = join(dir, 'empty-root');
    await mkdir(root);
    const { code, report } = await doctor({ env: { PATH: join(dir, 'no-such-dir') }, root });
    expect(code).toBe(3);
    expect(report.ok).toBe(false);
    const byName = Object.fromEntries(report.tools.map((t) => [t.name, t]));
    expect(byName.k6).toEqual({
      name: 'k6',
      found: false,
      hint: expect.stringContaining('opsproof doctor --install'),
    });
    expect(byName.moto_server?.found).toBe(false);
    expect(report.venv).toEqual({ path: join(root, '.venv'), present: false });
  });

  test('present tools are found, each with where: env override, .tools/bin, PATH', async () => {
    const root = join(dir, 'full-root');
    const k6 = await fakeTool(join(root, '.tools', 'bin', 'k6'));
    const moto = await fakeTool(join(dir, 'elsewhere', 'moto_server'));
    const chromium = await fakeTool(join(dir, 'bin', 'chromium'));
    const { code, report } = await doctor({
      env: { PATH: join(dir, 'bin'), OPSPROOF_MOTO: moto },
      root,
    });
    expect(report.tools).toEqual([
      { name: 'chromium', found: true, path: chromium, source: 'path' },
      { name: 'k6', found: true, path: k6, source: 'tools' },
      { name: 'moto_server', found: true, path: moto, source: 'env' },
    ]);
    expect(code).toBe(0);
  });

  test('--install installs exactly the missing tools, then checks again: exit 0 once they are there', async () => {
    const root = join(dir, 'install-root');
    await mkdir(root);
    await fakeTool(join(dir, 'install-bin', 'chromium'));
    const installed: string[][] = [];
    const install = (steps: string[]) => {
      installed.push(steps);
      // What scripts/setup.mjs leaves behind: k6 in .tools/bin, moto in .venv/bin.
      for (const file of [join(root, '.tools', 'bin', 'k6'), join(root, '.venv', 'bin', 'moto_server')]) {
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      }
    };
    const { code, report } = await doctor(
      { env: { PATH: join(dir, 'install-bin') }, root, install },
      { install: true },
    );
    expect(installed).toEqual([['k6', 'moto']]);
    expect(report.tools.map((t) => t.found && t.source)).toEqual(['path', 'tools', 'venv']);
    expect(code).toBe(0);
  });

  test('--install with nothing missing installs nothing', async () => {
    const install = vi.fn();
    const { code } = await doctor(
      { env: { PATH: join(dir, 'install-bin') }, root: join(dir, 'install-root'), install },
      { install: true },
    );
    expect(install).not.toHaveBeenCalled();
    expect(code).toBe(0);
  });

  test('a node older than package.json engines is reported: exit 3', async () => {
    const root = join(dir, 'full-root');
    const { code, report } = await doctor({
      env: { PATH: join(dir, 'bin'), OPSPROOF_MOTO: join(dir, 'elsewhere', 'moto_server') },
      root,
      nodeVersion: '18.20.4',
    });
    expect(report.node).toEqual({ version: '18.20.4', required: '>=20.18.1', ok: false });
    expect(code).toBe(3);
  });
});

const tools = ['chromium', 'k6', 'moto_server'] as const;
const skip = tools.map((t) => requireTool(t).skip).find(Boolean);

describe.skipIf(skip)('opsproof doctor from a user repository', () => {
  test('finds this machine’s chromium, k6 and moto, exit 0', async () => {
    const { stdout, stderr } = await exec(
      process.execPath,
      [join(repo, 'bin/opsproof.js'), 'doctor', '--json'],
      {
        cwd: dir,
        timeout: 30_000,
      },
    );
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(report.tools.map((t) => (t.found ? t.path : undefined))).toEqual(tools.map((t) => findTool(t)));
    expect(stderr).toMatch(/^ok {7}k6 {8}\//m);
  });
});
