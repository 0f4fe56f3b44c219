import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { startFaultGateway } from '../chaos/fault-gateway.ts';

const bin = fileURLToPath(new URL('../bin/opsproof.js', import.meta.url));

test('Ctrl-C during `opsproof chaos run` clears every fault and exits 130', async () => {
  const upstream = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const gateway = await startFaultGateway({ upstream: upstreamUrl });
  const dir = mkdtempSync(join(tmpdir(), 'opsproof-chaos-'));
  writeFileSync(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({
      service: 'chaos-test',
      environments: { local: { target: gateway.url } },
      experiments: {
        errors: {
          targets: {
            Functions: {
              resourceType: 'aws:lambda:function',
              resourceTags: { s: 'x' },
              selectionMode: 'ALL',
            },
          },
          actions: {
            errors: {
              actionId: 'aws:lambda:invocation-error',
              parameters: { duration: 'PT60S', invocationPercentage: '100', preventExecution: 'true' },
              targets: { Functions: 'Functions' },
            },
          },
        },
      },
    }),
  );
  try {
    const child = spawn(
      process.execPath,
      [
        bin,
        'chaos',
        'run',
        'errors',
        '--config',
        join(dir, 'opsproof.config.json'),
        '--out',
        join(dir, 'run'),
        '--gateway-control',
        gateway.controlUrl,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Wait until the fault is on (bounded), then Ctrl-C.
    for (let i = 0; i < 200 && gateway.faults().length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(gateway.faults()).toHaveLength(1);
    expect((await fetch(`${gateway.url}/api/x`)).status).toBe(500);
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);
    const listed = (await (await fetch(`${gateway.controlUrl}/faults`)).json()) as { faults: unknown[] };
    expect(listed.faults).toEqual([]);
    expect((await fetch(`${gateway.url}/api/x`)).status).toBe(200);
    const result = JSON.parse(readFileSync(join(dir, 'run', 'result.json'), 'utf8')) as {
      status: string;
      experiments: { status: string; activities: { status: string }[] }[];
    };
    expect(result.status).toBe('interrupted');
    expect(result.experiments[0]).toMatchObject({
      status: 'interrupted',
      activities: [{ status: 'stopped' }],
    });
  } finally {
    await gateway.close();
    await new Promise((r) => upstream.close(r));
  }
});
