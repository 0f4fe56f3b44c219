import { vi } from 'vitest';

/**
 * Runs `fn` (an in-process command) with what it writes to stdout captured and stderr silenced, and
 * restores both whether it resolves or throws: `--json` commands print their result on stdout.
 */
export async function captureStdout<T>(fn: () => Promise<T>): Promise<{ value: T; stdout: string }> {
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { value: await fn(), stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
