import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const bin = fileURLToPath(new URL('../bin/opsproof.js', import.meta.url));

test('`opsproof chaos gateway` injects --fault, serves the control API, and clears faults on Ctrl-C (exit 130)', async () => {
  const upstream = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const child = spawn(
    process.execPath,
    [
      bin,
      'chaos',
      'gateway',
      '--upstream',
      upstreamUrl,
      '--fault',
      'error:status=503,path=/api/*',
      '--ttl',
      '30s',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const addresses = await new Promise<{ url: string; controlUrl: string }>((resolve, reject) => {
      child.stdout.once('data', (d) => resolve(JSON.parse(String(d))));
      child.once('exit', () => reject(new Error(stderr)));
    });
    expect((await fetch(`${addresses.url}/api/x`)).status).toBe(503);
    expect((await fetch(`${addresses.url}/health`)).status).toBe(200);
    const listed = (await (await fetch(`${addresses.controlUrl}/faults`)).json()) as {
      faults: { spec: string; ttlMs: number }[];
    };
    expect(listed.faults).toMatchObject([
      { spec: 'error:status=503,percent=100,path=/api/*', ttlMs: 30_000 },
    ]);
    const bad = await fetch(`${addresses.controlUrl}/faults`, {
      method: 'POST',
      body: JSON.stringify({ spec: 'boom' }),
    });
    expect(bad.status).toBe(400);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/no fault left active/);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => upstream.close(r));
  }
});

test('`opsproof chaos gateway` rejects a bad --fault with exit 2', async () => {
  const child = spawn(
    process.execPath,
    [bin, 'chaos', 'gateway', '--upstream', 'http://127.0.0.1:1', '--fault', 'explode'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  expect(code).toBe(2);
  expect(stderr).toMatch(/unknown kind "explode"/);
});

test('`opsproof chaos gateway` refuses a --ttl beyond the gateway maximum with exit 2', async () => {
  const child = spawn(
    process.execPath,
    [bin, 'chaos', 'gateway', '--upstream', 'http://127.0.0.1:1', '--ttl', '999999h'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  expect(code).toBe(2);
  expect(stderr).toMatch(/--ttl 999999h: .*maximum of 12h1m/);
});
