import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFaultGateway } from '../chaos/fault-gateway.ts';
import { UsageError } from '../core/errors.ts';
import { repoPath } from '../core/tools.ts';
import { startOtlpReceiver } from '../telemetry/embedded/otlp-receiver.ts';
import { SpanStore } from '../telemetry/embedded/span-store.ts';

// The fault gateway, its control API and the OTLP receiver listen on loopback unless told otherwise,
// checked on the sockets themselves: reachable on 127.0.0.1, refused on this machine's other addresses.
// The gateway refuses to forward to a non-loopback upstream unless explicitly allowed.

/** A non-loopback IPv4 address of this machine, when it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const portOf = (url: string) => Number(new URL(url).port);

describe('loopback by default', () => {
  let upstream: Server;
  let upstreamUrl: string;

  beforeAll(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  });

  test('the fault gateway and its control API bind 127.0.0.1', async () => {
    const gateway = await startFaultGateway({ upstream: upstreamUrl });
    try {
      for (const url of [gateway.url, gateway.controlUrl]) {
        expect(new URL(url).hostname).toBe('127.0.0.1');
        expect(await canConnect('127.0.0.1', portOf(url))).toBe(true);
        if (external) expect(await canConnect(external, portOf(url))).toBe(false);
      }
    } finally {
      await gateway.close();
    }
  });

  test('the OTLP receiver binds 127.0.0.1', async () => {
    const receiver = await startOtlpReceiver(new SpanStore());
    try {
      expect(new URL(receiver.url).hostname).toBe('127.0.0.1');
      expect(await canConnect('127.0.0.1', portOf(receiver.url))).toBe(true);
      if (external) expect(await canConnect(external, portOf(receiver.url))).toBe(false);
    } finally {
      await receiver.close();
    }
  });

  test.each([
    ['a private address', 'http://10.1.2.3:8080'],
    ['a public host name', 'http://example.com'],
    ['an IPv6 address', 'http://[2001:db8::1]:80'],
  ])('the gateway refuses %s as upstream (usage error)', async (_name, url) => {
    const error = await startFaultGateway({ upstream: url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/^refusing a non-loopback upstream /);
  });

  test('allowNonLoopbackUpstream opts in explicitly', async () => {
    // 192.0.2.0/24 is TEST-NET-1: nothing is sent there, the gateway only starts.
    const gateway = await startFaultGateway({
      upstream: 'http://192.0.2.1:80',
      allowNonLoopbackUpstream: true,
    });
    expect(new URL(gateway.url).hostname).toBe('127.0.0.1');
    await gateway.close();
  });

  test('the control API refuses a non-loopback address', async () => {
    const error = await startFaultGateway({ upstream: upstreamUrl, control: { host: '0.0.0.0' } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain('the control API must listen on loopback');
  });

  test('opsproof chaos gateway --upstream <non-loopback> exits 2 with one sentence', async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [repoPath('bin', 'opsproof.js'), 'chaos', 'gateway', '--upstream', 'http://10.1.2.3:8080'],
        { cwd: repoPath(), env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, stderr: err });
      });
    });
    expect(code).toBe(2);
    expect(stderr).toContain('error: refusing a non-loopback upstream 10.1.2.3:8080');
  }, 40_000);
});
