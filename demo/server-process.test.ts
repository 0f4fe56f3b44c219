import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';

const serverFile = fileURLToPath(new URL('./server.ts', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Spawns the demo as a process and resolves with its parsed log lines as they come. */
function spawnDemo(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', serverFile, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) if (part) lines.push(JSON.parse(part));
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  async function waitForLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = lines.find(predicate);
      if (line) return line;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `no matching log line; exit ${child.exitCode}; stderr: ${stderr}; lines: ${JSON.stringify(lines)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  return { child, lines, exited, waitForLine, stderr: () => stderr };
}

test('process mode logs its URL, answers /health/ready and exits 0 on SIGTERM', async () => {
  const demo = spawnDemo(['--port', '0']);
  const listening = await demo.waitForLine((line) => String(line.message).startsWith('listening on http://'));
  expect(listening).toMatchObject({ level: 'INFO', service: 'opsproof-demo', tracing: 'disabled' });
  const url = String(listening.url);
  expect(listening.message).toBe(`listening on ${url}`);

  const res = await fetch(`${url}/health/ready`, { headers: { 'x-correlation-id': 'proc-1' } });
  expect(res.status).toBe(200);
  await demo.waitForLine((line) => line.correlationId === 'proc-1' && line.route === '/health/ready');

  demo.child.kill('SIGTERM');
  const [code, signal] = await demo.exited;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(demo.lines.at(-1)).toMatchObject({ message: 'stopped' });
  expect(demo.stderr()).toBe('');
});

test('process mode takes the port from PORT and stops on SIGINT', async () => {
  // Find a free port by letting the OS choose one for a throwaway server.
  const { createServer } = await import('node:net');
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));

  const demo = spawnDemo([], { PORT: String(port) });
  const listening = await demo.waitForLine((line) => String(line.message).startsWith('listening on'));
  expect(listening.url).toBe(`http://127.0.0.1:${port}`);
  demo.child.kill('SIGINT');
  const [code] = await demo.exited;
  expect(code).toBe(0);
});

test('an invalid port is refused with exit code 2', async () => {
  const demo = spawnDemo(['--port', 'eighty']);
  const [code] = await demo.exited;
  expect(code).toBe(2);
  expect(demo.lines.at(-1)).toMatchObject({ level: 'ERROR' });
  expect(String(demo.lines.at(-1)?.message)).toContain('port must be an integer');
});
