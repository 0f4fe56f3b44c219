import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Timeline } from '../core/timeline.ts';
import type { Telemetry } from '../telemetry/port.ts';
import type { MetricDatum } from '../telemetry/types.ts';
import { type FaultGateway, SEEN_PATHS_LIMIT, startFaultGateway } from './fault-gateway.ts';
import { parseFaultSpec } from './parse-fault-spec.ts';

let upstream: http.Server;
let upstreamUrl: string;
const dispatcher = new Agent({ connections: 64, pipelining: 1 });

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, method: req.method, body }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await dispatcher.close();
  await new Promise((r) => upstream.close(r));
});

async function get(url: string, method = 'GET'): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  const res = await request(url, { method, dispatcher });
  const body = await res.body.text();
  return { status: res.statusCode, ms: performance.now() - started, body };
}

/** `n` requests, `concurrency` at a time. */
async function many(url: string, n: number, concurrency = 32) {
  const results: { status: number; ms: number }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        results.push(await get(url));
      }
    }),
  );
  return results;
}

async function control(gateway: FaultGateway, method: string, path: string, body?: unknown) {
  const res = await request(gateway.controlUrl + path, {
    method: method as 'GET',
    dispatcher,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

describe('fault gateway', () => {
  let gateway: FaultGateway;
  const timeline = new Timeline();
  const written: MetricDatum[] = [];
  const telemetry = {
    provider: 'embedded',
    putMetricData: async (namespace: string, data: readonly MetricDatum[]) => {
      expect(namespace).toBe('AWS/ApiGateway');
      written.push(...data);
    },
  } as unknown as Telemetry;

  beforeAll(async () => {
    gateway = await startFaultGateway({ upstream: upstreamUrl, telemetry, timeline, flushIntervalMs: 50 });
  });
  afterAll(() => gateway.close());

  test('proxies method, path, query and body unchanged', async () => {
    const res = await request(`${gateway.url}/api/x?y=1`, { method: 'POST', body: 'hello', dispatcher });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ path: '/api/x?y=1', method: 'POST', body: 'hello' });
  });

  test('error:status=503,percent=50 fails 45–55 % of 2000 requests; POST /reset cleans at once', async () => {
    const added = await control(gateway, 'POST', '/faults', {
      spec: 'error:status=503,percent=50',
      ttl: '30s',
    });
    expect(added.status).toBe(201);
    expect(added.json?.id).toEqual(expect.any(String));
    const results = await many(`${gateway.url}/api/measurements`, 2000);
    const failed = results.filter((r) => r.status === 503).length;
    expect(results.filter((r) => r.status !== 503 && r.status !== 200)).toEqual([]);
    expect(failed / 2000).toBeGreaterThanOrEqual(0.45);
    expect(failed / 2000).toBeLessThanOrEqual(0.55);

    expect((await control(gateway, 'POST', '/reset')).json).toEqual({ cleared: 1 });
    const after = await many(`${gateway.url}/api/measurements`, 200);
    expect(after.every((r) => r.status === 200)).toBe(true);
    expect((await control(gateway, 'GET', '/faults')).json).toEqual({ faults: [] });
  });

  test('latency:ms=200 delays every response by at least 200 ms', async () => {
    // One request at a time, both ways: the client, the gateway and the upstream share this process's
    // event loop, so concurrent requests would queue behind each other and measure that instead.
    const fault = gateway.addFault(parseFaultSpec('latency:ms=200'), 10_000);
    const results = await many(`${gateway.url}/api/slow`, 15, 1);
    gateway.removeFault(fault.id);
    const direct = await many(`${upstreamUrl}/api/slow`, 15, 1);
    const median = (xs: { ms: number }[]) =>
      xs.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // Every response waits the 200 ms before it is forwarded; typical responses are 200 ms slower than direct.
    expect(Math.min(...results.map((r) => r.ms))).toBeGreaterThanOrEqual(199);
    expect(median(results) - median(direct)).toBeGreaterThanOrEqual(199);
  });

  test('path and method filters choose the requests', async () => {
    const fault = gateway.addFault(parseFaultSpec('error:status=500,path=/api/*,method=POST'), 10_000);
    expect((await get(`${gateway.url}/api/a`, 'POST')).status).toBe(500);
    expect((await get(`${gateway.url}/api/a`, 'GET')).status).toBe(200);
    expect((await get(`${gateway.url}/health/ready`, 'POST')).status).toBe(200);
    gateway.removeFault(fault.id);
  });

  test('counts per fault what it matched, injected and saw; the control API shows it, also once it ended', async () => {
    const api = gateway.addFault(parseFaultSpec('error:status=503,percent=0,path=/api/*'), 10_000);
    const admin = gateway.addFault(parseFaultSpec('latency:ms=1,path=/admin/*'), 10_000);
    for (const path of ['/api/a', '/api/b?x=1', '/', '/items', '/items', '/api/a'])
      await get(gateway.url + path);
    const listed = (await control(gateway, 'GET', '/faults')).json as { faults: Record<string, unknown>[] };
    expect(listed.faults.find((f) => f.id === api.id)).toMatchObject({
      matchedRequests: 3,
      injectedRequests: 0, // percent=0: matched, never applied
      seenRequests: 6,
      seenPaths: ['/api/a', '/api/b', '/', '/items'],
    });
    expect(gateway.removeFault(admin.id)).toBe(true);
    // Ended: still answered, with its final counts, when it ended and why.
    const ended = await control(gateway, 'GET', `/faults/${admin.id}`);
    expect(ended.status).toBe(200);
    expect(ended.json).toMatchObject({
      id: admin.id,
      matchedRequests: 0,
      seenRequests: 6,
      endReason: 'cleared',
      endedAt: expect.any(String),
    });
    expect(gateway.fault(api.id)?.matchedRequests).toBe(3);
    gateway.removeFault(api.id);
    expect(gateway.faults()).toEqual([]);
  });

  test('a fault keeps at most SEEN_PATHS_LIMIT distinct paths', async () => {
    const fault = gateway.addFault(parseFaultSpec('latency:ms=1,path=/nowhere'), 10_000);
    for (let i = 0; i < SEEN_PATHS_LIMIT + 5; i++) await get(`${gateway.url}/p${i}`);
    gateway.removeFault(fault.id);
    const final = gateway.fault(fault.id);
    expect(final?.seenRequests).toBe(SEEN_PATHS_LIMIT + 5);
    expect(final?.seenPaths).toHaveLength(SEEN_PATHS_LIMIT);
    expect(final?.seenPaths[0]).toBe('/p0');
  });

  test('reset destroys the connection; blackhole holds until the fault ends', async () => {
    const reset = gateway.addFault(parseFaultSpec('reset'), 10_000);
    await expect(get(`${gateway.url}/api/a`)).rejects.toThrow();
    gateway.removeFault(reset.id);

    const hole = gateway.addFault(parseFaultSpec('blackhole:path=/api/*'), 10_000);
    let settled = false;
    const pending = get(`${gateway.url}/api/held`).finally(() => {
      settled = true;
    });
    expect((await get(`${gateway.url}/health`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    expect(gateway.removeFault(hole.id)).toBe(true);
    expect((await pending).status).toBe(200);
  });

  test('the gateway ends a fault itself when its TTL passes', async () => {
    const fault = gateway.addFault(parseFaultSpec('error:status=503'), 300);
    expect((await get(`${gateway.url}/api/a`)).status).toBe(503);
    await timeline.waitFor('fault.end', (r) => r.faultId === fault.id);
    expect(timeline.find('fault.end', (r) => r.faultId === fault.id)?.reason).toBe('ttl');
    expect((await get(`${gateway.url}/api/a`)).status).toBe(200);
    expect(timeline.find('fault.start', (r) => r.faultId === fault.id)?.where).toBe(gateway.url);
  });

  test('control API: 400 with a JSON error for a bad spec or ttl, 404 for unknown ids', async () => {
    const bad = await control(gateway, 'POST', '/faults', { spec: 'explode:percent=5' });
    expect(bad.status).toBe(400);
    expect(bad.json?.error).toMatchObject({
      code: 'bad-spec',
      message: expect.stringContaining('unknown kind'),
    });
    expect((await control(gateway, 'POST', '/faults', { spec: 'reset', ttl: 'soon' })).status).toBe(400);
    expect((await control(gateway, 'POST', '/faults', { nope: 1 })).status).toBe(400);
    expect((await control(gateway, 'DELETE', '/faults/missing')).status).toBe(404);
    const added = await control(gateway, 'POST', '/faults', { spec: 'reset:percent=1', ttl: 5000 });
    expect((await control(gateway, 'DELETE', `/faults/${added.json?.id}`)).status).toBe(204);
  });

  test('a TTL beyond the gateway maximum (12h1m) is refused by the control API and addFault, not cut to 1 ms', async () => {
    const before = (await control(gateway, 'GET', '/faults')).json?.faults as unknown[];
    const tooLong = await control(gateway, 'POST', '/faults', { spec: 'reset:percent=1', ttl: '999999h' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json?.error).toMatchObject({ message: expect.stringContaining("gateway's maximum") });
    expect(() => gateway.addFault(parseFaultSpec('reset:percent=1'), 13 * 3_600_000)).toThrow(
      /maximum of 12h1m/,
    );
    expect((await control(gateway, 'GET', '/faults')).json?.faults).toHaveLength(before.length);
    const longest = await control(gateway, 'POST', '/faults', { spec: 'reset:percent=1', ttl: '12h' });
    expect(longest.status).toBe(201);
    expect(longest.json?.ttlMs).toBe(12 * 3_600_000);
    expect((await control(gateway, 'DELETE', `/faults/${longest.json?.id}`)).status).toBe(204);
  });

  test('records API Gateway-shaped metrics', async () => {
    await new Promise((r) => setTimeout(r, 150)); // earlier tests' batches land first
    written.length = 0;
    const fault = gateway.addFault(parseFaultSpec('error:status=503'), 10_000);
    await get(`${gateway.url}/api/a`);
    gateway.removeFault(fault.id);
    await get(`${gateway.url}/api/a`);
    await new Promise((r) => setTimeout(r, 150));
    const sum = (name: string, value: number) =>
      written
        .filter((d) => d.MetricName === name)
        .reduce(
          (s, d) => s + (d.Counts ?? []).reduce((a, c, i) => a + (d.Values?.[i] === value ? c : 0), 0),
          0,
        );
    expect(sum('Count', 1)).toBe(2);
    expect(sum('5XXError', 1)).toBe(1);
    expect(sum('5XXError', 0)).toBe(1);
    expect(sum('4XXError', 0)).toBe(2);
    expect(written.find((d) => d.MetricName === 'Latency')?.Dimensions).toEqual([
      { Name: 'ApiName', Value: 'opsproof-demo' },
    ]);
  });
});

test('a fault set by a controller that is then SIGKILLed ends within its TTL', async () => {
  const gateway = await startFaultGateway({ upstream: upstreamUrl });
  try {
    const script = `
      const res = await fetch(${JSON.stringify(`${gateway.controlUrl}/faults`)}, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ spec: 'error:status=503', ttl: '5s' }),
      });
      console.log(res.status);
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const status = await new Promise<string>((resolve) =>
      child.stdout.once('data', (d) => resolve(String(d).trim())),
    );
    const setAt = performance.now();
    expect(status).toBe('201');
    expect((await get(`${gateway.url}/api/a`)).status).toBe(503);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    let clean = false;
    while (performance.now() - setAt < 6000) {
      if ((await get(`${gateway.url}/api/a`)).status === 200) {
        clean = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(clean).toBe(true);
    expect(gateway.faults()).toEqual([]);
  } finally {
    await gateway.close();
  }
});

test('refuses a non-loopback upstream and a non-loopback control address', async () => {
  await expect(startFaultGateway({ upstream: 'http://10.1.2.3:80' })).rejects.toThrow(
    /non-loopback upstream/,
  );
  await expect(startFaultGateway({ upstream: upstreamUrl, control: { host: '0.0.0.0' } })).rejects.toThrow(
    /loopback/,
  );
});
