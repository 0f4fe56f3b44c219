import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { EnvironmentError } from '../../core/errors.ts';

/** A free loopback port (bound and released). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface MotoServer {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts the moto server (the AWS API emulator) on a free loopback port and waits until it answers
 * (at most `timeoutMs`). For tests and benchmarks of the aws provider.
 */
export async function startMotoServer(
  path: string,
  options: { timeoutMs?: number } = {},
): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(path, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null) {
      throw new EnvironmentError(
        'tool-missing',
        `moto_server exited with code ${child.exitCode}: ${stderr.trim()}`,
      );
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new EnvironmentError('tool-missing', `moto_server did not answer on ${endpoint} in time`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
