import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../core/clock.ts';
import { describeError } from '../core/errors.ts';
import type { CommandRecord } from '../core/run-result.ts';

/** Longest a `run` or `undo` command may take before it is killed. */
export const COMMAND_TIMEOUT_MS = 60_000;
/** How much of each output stream the journal keeps. */
const TAIL_CHARS = 2000;
/** SIGTERM first, SIGKILL this long after, when a command is cut short. */
const KILL_GRACE_MS = 2000;

export interface CommandStandInOptions {
  clock: Clock;
  /** Ends the action early (Ctrl-C or a stop condition): the running command is ended, then the undo runs. */
  stop: AbortSignal;
  /** Where the commands run (the config's folder). @defaultValue process.cwd() */
  cwd?: string;
  /** @defaultValue {@link COMMAND_TIMEOUT_MS} */
  timeoutMs?: number;
  /** The guardian program (tests). @defaultValue chaos/undo-guardian.js */
  guardianScript?: string;
}

export interface CommandStandInRun {
  commands: CommandRecord[];
  output: string;
  error?: string;
}

/**
 * A command stand-in: runs `run` (argv, no shell, bounded by a timeout), holds for the rest of the
 * action's duration, then runs `undo` — also when the action is cut short by Ctrl-C or a stop
 * condition, and when `run` failed (it may have half applied). A non-zero exit of either fails the
 * action. While the effect is on, an undo guardian (`undo-guardian.js`, its own process) runs the
 * undo should this process die, even by kill -9.
 */
export async function runCommandStandIn(
  effect: { run: string[]; undo?: string[] },
  durationMs: number,
  options: CommandStandInOptions,
): Promise<CommandStandInRun> {
  const { clock, stop } = options;
  const timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  const cwd = options.cwd ?? process.cwd();
  const commands: CommandRecord[] = [];
  const notes: string[] = [];
  const started = clock.now();
  let guardian: UndoGuardian | undefined;
  if (effect.undo) {
    try {
      guardian = await startUndoGuardian(effect.undo, { cwd, timeoutMs, script: options.guardianScript });
    } catch (error) {
      notes.push(
        `no undo guardian (${describeError(error)}): kill -9 of opsproof now would leave the undo unrun`,
      );
    }
  }
  try {
    const run = await runCommand('run', effect.run, {
      cwd,
      timeoutMs,
      signal: stop,
      onSpawn: (pid) => guardian?.running(pid),
    });
    commands.push(run);
    if (run.exitCode === 0 && !stop.aborted) {
      await clock.sleep(Math.max(0, durationMs - (clock.now() - started)), stop).catch(() => {});
    }
    // A command that never started applied nothing; any other may have, so it is undone.
    if (effect.undo && run.error?.startsWith('could not start') !== true) {
      commands.push(await runCommand('undo', effect.undo, { cwd, timeoutMs }));
    }
  } finally {
    guardian?.done();
  }
  const failed = commands.filter((c) => c.exitCode !== 0);
  const output = [
    ...commands.map((c) => `${c.role} ${c.argv.join(' ')}: ${formatEnd(c)} after ${c.durationMs} ms`),
    ...notes,
  ].join('; ');
  if (failed.length === 0) return { commands, output };
  const error = failed
    .map((c) => {
      const last = lastLine(c.stderrTail) ?? lastLine(c.stdoutTail);
      return `${c.role} ${c.argv.join(' ')} ${formatEnd(c)}${last ? `: ${last}` : ''}`;
    })
    .join('; ');
  return { commands, output, error };
}

function formatEnd(c: CommandRecord): string {
  if (c.error) return c.error;
  return c.exitCode !== null ? `exited ${c.exitCode}` : `ended by ${c.signal}`;
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)?.trim() || undefined;

/** Runs one command to its end (argv, no shell): SIGTERM then SIGKILL on timeout or abort. */
export function runCommand(
  role: CommandRecord['role'],
  argv: string[],
  options: { cwd: string; timeoutMs: number; signal?: AbortSignal; onSpawn?: (pid: number) => void },
): Promise<CommandRecord> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let cutShort: string | undefined;
    const tail = (text: string) => (text.length > TAIL_CHARS ? text.slice(-TAIL_CHARS) : text);
    const finish = (exitCode: number | null, signal: string | null, error?: string) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      const why = error ?? cutShort;
      resolve({
        role,
        argv,
        exitCode,
        ...(signal ? { signal } : {}),
        ...(why ? { error: why } : {}),
        durationMs: Math.round(performance.now() - t0),
        stdoutTail: stdout,
        stderrTail: stderr,
      });
    };
    let child: ChildProcess;
    let killTimer: NodeJS.Timeout | undefined;
    const end = (why: string) => {
      cutShort ??= why;
      signalGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), KILL_GRACE_MS);
    };
    const onAbort = () => end('cut short: the action was stopped');
    const timer = setTimeout(() => end(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
    try {
      // Its own process group, so a timeout or stop ends what it started too.
      child = spawn(argv[0]!, argv.slice(1), {
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
      });
    } catch (error) {
      finish(null, null, `could not start: ${describeError(error)}`);
      return;
    }
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.stdout!.on('data', (d: Buffer) => (stdout = tail(stdout + d.toString())));
    child.stderr!.on('data', (d: Buffer) => (stderr = tail(stderr + d.toString())));
    child.once('error', (error) => finish(null, null, `could not start: ${error.message}`));
    child.once('close', (code, signal) => finish(code, signal));
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (process.platform !== 'win32') process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal);
  }
}

const GUARDIAN_PATH = fileURLToPath(new URL('./undo-guardian.js', import.meta.url));

interface UndoGuardian {
  /** The `run` command's process group: ended first should the guardian have to undo. */
  running(pid: number): void;
  /** The undo ran here (or nothing needs undoing): the guardian exits without running it. */
  done(): void;
}

/**
 * Starts the undo guardian and arms it; resolves once it holds the undo. Its handles are unref'd:
 * it never keeps this process alive.
 */
function startUndoGuardian(
  undo: string[],
  options: { cwd: string; timeoutMs: number; script?: string | undefined },
): Promise<UndoGuardian> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.script ?? GUARDIAN_PATH], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      // Its own process group: a terminal's Ctrl-C reaches the controller only, which undoes itself.
      detached: process.platform !== 'win32',
    });
    child.unref();
    child.channel?.unref();
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(reason));
    };
    const timer = setTimeout(() => fail('it was not ready within 5000 ms'), 5000);
    child.on('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`it exited (${signal ?? `code ${code}`}) before it was ready`));
    child.on('message', (message: { type?: unknown } | null) => {
      if (settled || message?.type !== 'ready') return;
      child.send({ type: 'arm', undo, cwd: options.cwd, timeoutMs: options.timeoutMs }, (error) => {
        if (error) return fail(error.message);
        settled = true;
        clearTimeout(timer);
        resolve({
          running(pid) {
            if (!child.connected) return;
            try {
              child.send({ type: 'running', pid });
            } catch {
              // The guardian is gone already.
            }
          },
          done() {
            if (!child.connected) return;
            try {
              child.send({ type: 'done' }, () => {
                if (child.connected) child.disconnect();
              });
            } catch {
              // The guardian is gone already.
            }
          },
        });
      });
    });
  });
}
