import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { systemClock } from '../core/clock.ts';
import { runCommandStandIn } from './run-command-stand-in.ts';

// Command stand-ins run real commands (node -e, argv without a shell) that leave a file while their
// effect is on; the undo removes it.

const dir = mkdtempSync(join(tmpdir(), 'opsproof-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fileFor = () => join(dir, `on-${n++}`);
const node = (code: string) => [process.execPath, '-e', code];
const create = (file: string) => node(`require('node:fs').writeFileSync(${JSON.stringify(file)}, 'on')`);
const remove = (file: string) => node(`require('node:fs').rmSync(${JSON.stringify(file)}, { force: true })`);
const never = new AbortController().signal;
/** Resolves when `file` holds `on` (node takes a few hundred ms to start on a busy machine). */
async function whenOn(file: string, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file) && readFileSync(file, 'utf8') === 'on') return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

test('runs the command, holds for the duration, then runs the undo; records both with their exit codes', async () => {
  const file = fileFor();
  const t0 = performance.now();
  const running = runCommandStandIn({ run: create(file), undo: remove(file) }, 1500, {
    clock: systemClock,
    stop: never,
  });
  expect(await whenOn(file)).toBe(true);
  const ran = await running;
  expect(performance.now() - t0).toBeGreaterThanOrEqual(1490);
  expect(existsSync(file)).toBe(false);
  expect(ran.error).toBeUndefined();
  expect(ran.commands).toMatchObject([
    { role: 'run', exitCode: 0, stdoutTail: '', stderrTail: '' },
    { role: 'undo', exitCode: 0 },
  ]);
  expect(ran.output).toMatch(/^run .* -e .*: exited 0 after \d+ ms; undo .*: exited 0 after \d+ ms$/);
});

test.each([
  [
    'a non-zero exit fails the action, with the last line of its output; the undo still runs',
    (file: string) => ({
      run: node(
        `require('node:fs').writeFileSync(${JSON.stringify(file)}, 'half'); console.error('boom: no such qdisc'); process.exit(3)`,
      ),
      undo: remove(file),
    }),
    {},
    /^run .* exited 3: boom: no such qdisc$/,
    ['run', 'undo'],
  ],
  [
    'a command that never starts is named, and nothing is undone',
    (file: string) => ({ run: ['/nonexistent/opsproof-tool', 'x'], undo: remove(file) }),
    {},
    /^run \/nonexistent\/opsproof-tool x could not start: .*ENOENT/,
    ['run'],
  ],
  [
    'a command past its timeout is ended (SIGTERM) and fails; the undo runs',
    (file: string) => ({ run: node('setTimeout(() => {}, 20000)'), undo: remove(file) }),
    { timeoutMs: 300 },
    /^run .* timed out after 300 ms$/,
    ['run', 'undo'],
  ],
  [
    'an undo that fails fails the action',
    () => ({ run: node(''), undo: node('process.exit(1)') }),
    {},
    /^undo .* exited 1$/,
    ['run', 'undo'],
  ],
])('%s', async (_, effect, extra, error, roles) => {
  const file = fileFor();
  const ran = await runCommandStandIn(effect(file), 0, { clock: systemClock, stop: never, ...extra });
  expect(ran.error).toMatch(error);
  expect(ran.commands.map((c) => c.role)).toEqual(roles);
  expect(existsSync(file)).toBe(false);
});

test('a stop (Ctrl-C, stop condition) ends the hold at once and runs the undo', async () => {
  const file = fileFor();
  const stop = new AbortController();
  const t0 = performance.now();
  const running = runCommandStandIn({ run: create(file), undo: remove(file) }, 30_000, {
    clock: systemClock,
    stop: stop.signal,
  });
  expect(await whenOn(file)).toBe(true);
  // Past the command's end (it exits right after writing): the action is holding.
  await new Promise((r) => setTimeout(r, 300));
  stop.abort(new Error('stop condition'));
  const ran = await running;
  expect(performance.now() - t0).toBeLessThan(10_000);
  expect(ran.commands.map((c) => [c.role, c.exitCode])).toEqual([
    ['run', 0],
    ['undo', 0],
  ]);
  expect(existsSync(file)).toBe(false);
});

test('a stop while the command runs ends the command, then undoes', async () => {
  const file = fileFor();
  const stop = new AbortController();
  void whenOn(file).then(() => stop.abort(new Error('stop condition')));
  const ran = await runCommandStandIn(
    {
      run: node(
        `require('node:fs').writeFileSync(${JSON.stringify(file)}, 'on'); setTimeout(() => {}, 20000)`,
      ),
      undo: remove(file),
    },
    30_000,
    { clock: systemClock, stop: stop.signal },
  );
  expect(ran.commands[0]).toMatchObject({
    role: 'run',
    exitCode: null,
    signal: 'SIGTERM',
    error: 'cut short: the action was stopped',
  });
  expect(ran.commands[1]).toMatchObject({ role: 'undo', exitCode: 0 });
  expect(existsSync(file)).toBe(false);
});

test('kill -9 of the controller while the effect is on: the undo guardian runs the undo', async () => {
  const file = fileFor();
  const controller = fileURLToPath(new URL('../reliability/fixtures/command-controller.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', controller, '30000', JSON.stringify(create(file)), JSON.stringify(remove(file))],
    { stdio: 'ignore' },
  );
  expect(await whenOn(file)).toBe(true);
  child.kill('SIGKILL');
  const undone = Date.now() + 5000;
  while (existsSync(file) && Date.now() < undone) await new Promise((r) => setTimeout(r, 50));
  expect(existsSync(file)).toBe(false);
}, 30_000);
