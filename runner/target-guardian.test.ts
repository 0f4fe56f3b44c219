import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

// A target opsproof started never outlives the controller: a real controller process starts a real
// target (which has a grandchild) through local-target, and is then killed with SIGKILL — which it
// cannot handle — or stops the target normally. The target guardian must clean up in the first case
// and exit quietly in the second, never staying behind itself.

const controller = fileURLToPath(new URL('./fixtures/guardian-controller.ts', import.meta.url));
const targetScript = fileURLToPath(new URL('./fixtures/guarded-target.cjs', import.meta.url));
const dirs: string[] = [];
/** Every process a test started, killed at the end whatever happened (a failing test must not leak). */
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await sleep(50);
  }
  return predicate();
}

/** `{ state, ppid }` from /proc/<pid>/stat; undefined when the process is gone. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}
/** Gone, or a zombie waiting to be reaped: either way no longer running. */
const isGone = (pid: number) => {
  const state = procStat(pid)?.state;
  return state === undefined || state === 'Z' || state === 'X';
};
/** The target-guardian.js processes whose parent is `ppid`. */
function guardiansOf(ppid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return (
          procStat(pid)?.ppid === ppid &&
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('target-guardian.js')
        );
      } catch {
        return false;
      }
    });
}

async function startController(mode: 'hold' | 'hold-paused' | 'stop') {
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-guardian-'));
  dirs.push(dir);
  const pidFile = join(dir, 'pids.json');
  const markerFile = join(dir, 'sigterm');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', controller, targetScript, pidFile, markerFile, mode],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const ready = await until(() => output.includes('ready') || child.exitCode !== null, 20_000);
  expect(ready && output.includes('ready'), output).toBe(true);
  const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { target: number; grandchild: number };
  started.push(child.pid!, pids.target, pids.grandchild);
  return { child, exited, pids, markerFile, output: () => output };
}

describe.skipIf(process.platform !== 'linux')('target guardian', () => {
  test.each([
    { mode: 'hold' as const, paused: false },
    { mode: 'hold-paused' as const, paused: true },
  ])(
    'kill -9 of the controller ends its target and the target’s children (paused: $paused)',
    async ({ mode, paused }) => {
      const run = await startController(mode);
      const guardians = guardiansOf(run.child.pid!);
      expect(guardians).toHaveLength(1);
      // SIGSTOP lands when the kernel next schedules the process, not when kill(2) returns: a
      // process running on another CPU can still read 'R' just after the controller said ready.
      const isStopped = (pid: number) => procStat(pid)?.state === 'T';
      if (paused) {
        const bothStopped = () => isStopped(run.pids.target) && isStopped(run.pids.grandchild);
        expect(await until(bothStopped, 2000)).toBe(true);
      } else expect(isStopped(run.pids.target)).toBe(false);

      run.child.kill('SIGKILL');
      await run.exited;

      expect(await until(() => isGone(run.pids.target) && isGone(run.pids.grandchild), 5000)).toBe(true);
      // It was resumed and got SIGTERM (its handler ran), not left stopped and then SIGKILLed.
      expect(existsSync(run.markerFile)).toBe(true);
      expect(readFileSync(run.markerFile, 'utf8')).toBe('SIGTERM');
      // And the guardian does not stay behind.
      expect(await until(() => isGone(guardians[0]!), 5000)).toBe(true);
    },
    30_000,
  );

  test('a normal stop ends the guardian and does not keep the controller alive', async () => {
    const run = await startController('stop');
    const guardians = guardiansOf(run.child.pid!);
    expect(guardians).toHaveLength(1);
    run.child.kill('SIGUSR2');
    // The controller returns from its script after target.stop(): nothing of the guardian holds it.
    const raced = await Promise.race([run.exited, sleep(15_000).then(() => 'still running' as const)]);
    expect(raced, run.output()).toEqual({ code: 0, signal: null });
    expect(isGone(run.pids.target)).toBe(true);
    expect(readFileSync(run.markerFile, 'utf8')).toBe('SIGTERM');
    for (const pid of guardians) expect(await until(() => isGone(pid), 5000)).toBe(true);
    // The grandchild went with its process group.
    expect(await until(() => isGone(run.pids.grandchild), 5000)).toBe(true);
  }, 30_000);
});

test('a process carrying the guardian’s mark that was never announced to it (spawned just before the controller died) is ended too', async () => {
  const { startTargetGuardian } = await import('./local-target.ts');
  const guardian = startTargetGuardian();
  await guardian.ready;
  const unannounced = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    env: { ...process.env, OPSPROOF_GUARDIAN_MARK: guardian.mark },
    detached: true,
    stdio: 'ignore',
  });
  const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    detached: true,
    stdio: 'ignore',
  });
  started.push(unannounced.pid!, other.pid!);
  await sleep(300);
  // The channel closes as when the controller dies.
  guardian.exit();
  const isGone = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z';
    } catch {
      return true;
    }
  };
  expect(await until(() => isGone(unannounced.pid!), 5000)).toBe(true);
  // A process without the mark is not the guardian's.
  expect(isGone(other.pid!)).toBe(false);
});
