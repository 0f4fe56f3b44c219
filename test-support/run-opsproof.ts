import { spawn } from 'node:child_process';
import { repoPath } from '../core/tools.ts';

export interface OpsproofRun {
  /** The exit code; null when the guard killed the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/opsproof.js ARGS` in `cwd` as a user would, with `CI=true` (no prompts) and `env` on top
 * of this process's environment. A run still going after `timeoutMs` is killed, so a hung command
 * fails its test with a null code instead of holding the test until vitest's own timeout.
 */
export function runOpsproof(
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<OpsproofRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoPath('bin', 'opsproof.js'), ...args], {
      cwd: options.cwd,
      env: { ...process.env, CI: 'true', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}
