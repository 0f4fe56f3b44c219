import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Client } from 'undici';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Telemetry } from '../telemetry/port.ts';
import type { MetricDatum } from '../telemetry/types.ts';
import { type FaultGateway, startFaultGateway } from './fault-gateway.ts';
import { parseFaultSpec } from './parse-fault-spec.ts';
import { findFinalStatus } from './pass-through.ts';

test.each([
  { bytes: 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', status: 200 },
  { bytes: 'HTTP/1.1 503 Service Unavailable\r\n\r\n', status: 503 },
  { bytes: 'HTTP/1.0 404 Not Found\r\n\r\n', status: 404 },
  { bytes: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n\r\n', status: 201 },
  { bytes: 'HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n', status: 204 },
  // Incomplete: the caller keeps the bytes and waits for more.
  { bytes: 'HTTP/1.1 2', status: -1 },
  { bytes: 'HTTP/1.1 100 Continue\r\n', status: -1 },
  { bytes: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1', status: -1 },
  // Not an HTTP response.
  { bytes: 'SSH-2.0-OpenSSH_9.2p1\r\n', status: 0 },
  { bytes: 'HTTP/1.1 abc nonsense\r\n\r\n', status: 0 },
])('findFinalStatus($bytes) → $status', ({ bytes, status }) => {
  expect(findFinalStatus(Buffer.from(bytes, 'latin1'))).toBe(status);
});

let upstream: http.Server;
let upstreamUrl: string;
const written: MetricDatum[] = [];
const telemetry = {
  putMetricData: async (_namespace: string, data: MetricDatum[]) => {
    written.push(...data);
  },
} as unknown as Telemetry;
let gateway: FaultGateway;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const status = Number(/^\/status\/(\d+)/.exec(req.url ?? '')?.[1] ?? 200);
      if (req.url === '/big') {
        const big = Buffer.alloc(4 * 1024 * 1024, 7);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
        res.end(big);
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, method: req.method, bytes: body.length, sum: sum(body) }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  gateway = await startFaultGateway({ upstream: upstreamUrl, telemetry, flushIntervalMs: 20 });
});
afterAll(async () => {
  await gateway.close();
  await new Promise((r) => upstream.close(r));
});

function sum(bytes: Buffer): number {
  let total = 0;
  for (const b of bytes) total = (total + b) % 65_521;
  return total;
}

/** Datapoints of `name` with value `value` written since `from` (Count: value 1). */
function counted(name: string, value: number, from = 0): number {
  return written
    .slice(from)
    .filter((d) => d.MetricName === name)
    .reduce((s, d) => s + (d.Counts ?? []).reduce((a, c, i) => a + (d.Values?.[i] === value ? c : 0), 0), 0);
}

const settle = () => new Promise((r) => setTimeout(r, 80));

test('with no fault, one keep-alive connection is passed through with per-request metrics', async () => {
  await settle();
  const from = written.length;
  const client = new Client(gateway.url, { pipelining: 1 });
  let connects = 0;
  client.on('connect', () => connects++);
  try {
    const statuses = [200, 404, 200, 500, 503, 200, 201, 429, 200, 200];
    for (const status of statuses) {
      const res = await client.request({ path: `/status/${status}`, method: 'GET' });
      expect(res.statusCode).toBe(status);
      // The upstream's own keep-alive header (Node's default 5 s): no HTTP hop rewrote the response.
      expect(res.headers['keep-alive']).toBe('timeout=5');
      expect(await res.body.json()).toMatchObject({ url: `/status/${status}` });
    }
    expect(connects).toBe(1);
    await settle();
    expect(counted('Count', 1, from)).toBe(10);
    expect(counted('4XXError', 1, from)).toBe(2);
    expect(counted('5XXError', 1, from)).toBe(2);
    expect(counted('5XXError', 0, from)).toBe(8);
    const latencies = written.slice(from).filter((d) => d.MetricName === 'Latency');
    expect(latencies.flatMap((d) => d.Counts ?? []).reduce((a, b) => a + b, 0)).toBe(10);
  } finally {
    await client.close();
  }
});

test('bodies pass through intact both ways: a 1 MB upload and a 4 MB download', async () => {
  const client = new Client(gateway.url);
  try {
    const upload = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < upload.length; i++) upload[i] = (i * 31) % 251;
    const res = await client.request({ path: '/upload', method: 'POST', body: upload });
    expect(await res.body.json()).toEqual({
      url: '/upload',
      method: 'POST',
      bytes: upload.length,
      sum: sum(upload),
    });
    const big = await client.request({ path: '/big', method: 'GET' });
    const body = Buffer.from(await big.body.arrayBuffer());
    expect(body.length).toBe(4 * 1024 * 1024);
    expect(body.every((b) => b === 7)).toBe(true);
  } finally {
    await client.close();
  }
});

test('a fault added while a connection is passed through applies to its next request, and reset clears it', async () => {
  const client = new Client(gateway.url, { pipelining: 1 });
  let connects = 0;
  client.on('connect', () => connects++);
  try {
    expect((await client.request({ path: '/a', method: 'GET' })).statusCode).toBe(200);
    const fault = gateway.addFault(parseFaultSpec('error:status=503'), 10_000);
    const faulted = await client.request({ path: '/a', method: 'GET' });
    await faulted.body.dump();
    expect(faulted.statusCode).toBe(503);
    expect(faulted.headers['x-opsproof-fault']).toBe(fault.id);
    expect(faulted.headers['keep-alive']).toBe('timeout=65');
    gateway.reset();
    const clean = await client.request({ path: '/a', method: 'GET' });
    expect(await clean.body.json()).toMatchObject({ url: '/a' });
    expect(clean.statusCode).toBe(200);
    // All on the one keep-alive connection: the fault could not be dodged by reusing it.
    expect(connects).toBe(1);
  } finally {
    await client.close();
  }
});

test('an upstream that refuses connections is a 502, counted as a 5XX error', async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const down = await startFaultGateway({
    upstream: `http://127.0.0.1:${port}`,
    telemetry,
    flushIntervalMs: 20,
  });
  try {
    await settle();
    const from = written.length;
    const client = new Client(down.url);
    try {
      const res = await client.request({ path: '/', method: 'GET' });
      expect(res.statusCode).toBe(502);
      expect(await res.body.json()).toMatchObject({ message: 'Bad Gateway' });
    } finally {
      await client.close().catch(() => {});
    }
    await settle();
    expect(counted('5XXError', 1, from)).toBe(1);
  } finally {
    await down.close();
  }
});

test('close() ends passed-through connections', async () => {
  const other = await startFaultGateway({ upstream: upstreamUrl });
  const client = new Client(other.url, { keepAliveTimeout: 60_000 });
  const res = await client.request({ path: '/a', method: 'GET' });
  await res.body.dump();
  const disconnected = new Promise((resolve) => client.once('disconnect', resolve));
  await other.close();
  await disconnected;
  await client.close();
});

test('an upstream that closes the connection while a request waits is a 502, as on the HTTP path', async () => {
  let served = 0;
  const closing = net.createServer((socket) => {
    socket.once('data', () => {
      served++;
      socket.end(); // FIN, no response: what a killed process's sockets do
    });
  });
  await new Promise<void>((r) => closing.listen(0, '127.0.0.1', r));
  const upstreamPort = (closing.address() as AddressInfo).port;
  const gw = await startFaultGateway({
    upstream: `http://127.0.0.1:${upstreamPort}`,
    telemetry,
    flushIntervalMs: 20,
  });
  try {
    await settle();
    const from = written.length;
    const client = new Client(gw.url);
    try {
      const res = await client.request({ path: '/', method: 'GET' });
      expect(res.statusCode).toBe(502);
      await res.body.dump();
    } finally {
      await client.close().catch(() => {});
    }
    expect(served).toBe(1);
    await settle();
    expect(counted('5XXError', 1, from)).toBe(1);
  } finally {
    await gw.close();
    await new Promise((r) => closing.close(r));
  }
});

test('a client that half-closes after its request still gets the whole response', async () => {
  const socket = net.connect({
    host: '127.0.0.1',
    port: Number(new URL(gateway.url).port),
    allowHalfOpen: true,
  });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => socket.on('end', r));
  socket.end('GET /big HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
  await ended;
  socket.destroy();
  const response = Buffer.concat(chunks);
  const headerEnd = response.indexOf('\r\n\r\n');
  expect(response.subarray(0, 12).toString('latin1')).toBe('HTTP/1.1 200');
  expect(response.length - headerEnd - 4).toBe(4 * 1024 * 1024);
});
