import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { findTool, findToolOrThrow, repoPath, repoRoot, requireTool } from './tools.ts';

function fakeExecutable(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, 0o755);
  return file;
}

describe('findTool', () => {
  const root = mkdtempSync(join(tmpdir(), 'opsproof-tools-'));
  const pathDir = join(root, 'on-path');
  const onPath = fakeExecutable(pathDir, 'k6');
  const projectK6 = fakeExecutable(join(root, '.tools', 'bin'), 'k6');
  const venvMoto = fakeExecutable(join(root, '.venv', 'bin'), 'moto_server');
  const override = fakeExecutable(join(root, 'elsewhere'), 'my-k6');
  const notExecutable = join(root, 'elsewhere', 'plain');
  writeFileSync(notExecutable, '');

  test('prefers the project .tools/bin over PATH', () => {
    expect(findTool('k6', { root, env: { PATH: pathDir } })).toBe(projectK6);
  });

  test('finds moto_server in the project virtualenv', () => {
    expect(findTool('moto_server', { root, env: { PATH: '' } })).toBe(venvMoto);
  });

  test('the env override wins', () => {
    expect(findTool('k6', { root, env: { PATH: pathDir, OPSPROOF_K6: override } })).toBe(override);
  });

  test('an override that is not executable is ignored', () => {
    expect(findTool('k6', { root, env: { PATH: pathDir, OPSPROOF_K6: notExecutable } })).toBe(projectK6);
  });

  test('falls back to PATH', () => {
    const other = mkdtempSync(join(tmpdir(), 'opsproof-tools-empty-'));
    expect(findTool('k6', { root: other, env: { PATH: pathDir } })).toBe(onPath);
  });

  test('undefined when nowhere', () => {
    const other = mkdtempSync(join(tmpdir(), 'opsproof-tools-empty-'));
    expect(findTool('moto_server', { root: other, env: { PATH: '' } })).toBeUndefined();
    expect(() => findToolOrThrow('moto_server', { root: other, env: { PATH: '' } })).toThrow(
      /moto_server was not found/,
    );
  });
});

describe('requireTool', () => {
  const empty = mkdtempSync(join(tmpdir(), 'opsproof-tools-empty-'));
  const root = mkdtempSync(join(tmpdir(), 'opsproof-tools-'));
  const k6 = fakeExecutable(join(root, '.tools', 'bin'), 'k6');

  test('returns the path when present', () => {
    expect(requireTool('k6', { root, env: { PATH: '' } })).toEqual({ path: k6 });
  });

  test('skips with a reason outside CI', () => {
    const result = requireTool('moto_server', { root: empty, env: { PATH: '' } });
    expect(result.path).toBeUndefined();
    expect(result.skip).toMatch(/moto_server not found/);
  });

  test('throws in CI', () => {
    expect(() => requireTool('moto_server', { root: empty, env: { PATH: '', CI: 'true' } })).toThrow(
      /CI=true/,
    );
  });
});

test('repoRoot is the folder holding package.json', () => {
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { name: string };
  expect(pkg.name).toBe('opsproof');
  expect(repoRoot.endsWith('/')).toBe(false);
});
