import { type IncomingMessage, request } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import type { MeasurementStore } from './measurement-store.ts';
import { createMeasurementStore } from './measurement-store.ts';
import { type DemoServer, type DemoServerOptions, MAX_BODY_BYTES, startDemoServer } from './server.ts';

interface LogLine {
  level: string;
  service: string;
  requestId: string;
  correlationId: string;
  method: string;
  route: string | null;
  path: string;
  status: number;
  durationMs: number;
  timestamp: string;
  error?: string;
}

const running: DemoServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function start(options: DemoServerOptions = {}) {
  const lines: LogLine[] = [];
  const server = await startDemoServer({ log: (line) => lines.push(JSON.parse(line)), ...options });
  running.push(server);
  await server.whenReady;
  return { server, lines, url: server.url };
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/api/measurements`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('health', () => {
  test('live and ready answer 200 with status ok', async () => {
    const { url } = await start();
    for (const path of ['/health/live', '/health/ready']) {
      const res = await fetch(url + path);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    }
  });

  test('detailed reports every component and an overall status', async () => {
    const { url } = await start();
    await post(url, { sensor: 's', value: 1, unit: 'percent' });
    const res = await fetch(`${url}/health/detailed`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      status: 'ok',
      service: 'opsproof-demo',
      components: {
        store: { status: 'ok', measurements: 1, capacity: 10_000 },
        config: { status: 'ok', tracing: 'disabled' },
        readiness: { status: 'ok', state: 'ready' },
        uptime: { status: 'ok' },
        version: { status: 'ok' },
      },
    });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.components.uptime.seconds).toBeGreaterThanOrEqual(0);
  });

  test('ready answers 503 during start-up, then 200', async () => {
    const lines: string[] = [];
    const server = await startDemoServer({ startupDelayMs: 300, log: (line) => lines.push(line) });
    running.push(server);
    const early = await fetch(`${server.url}/health/ready`);
    expect(early.status).toBe(503);
    expect(await early.json()).toEqual({ status: 'starting' });
    const detailed = await (await fetch(`${server.url}/health/detailed`)).json();
    expect(detailed).toMatchObject({ status: 'degraded', components: { readiness: { state: 'starting' } } });
    await server.whenReady;
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
  });

  test('ready answers 503 while draining before shutdown', async () => {
    const { server, url } = await start({ drainDelayMs: 400 });
    const closed = server.close();
    const res = await fetch(`${url}/health/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'stopping' });
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    await closed;
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });

  test('close lets an in-flight request finish before the server stops', async () => {
    const { server, url, lines } = await start();
    // A request whose body arrives in two parts is in flight while close() starts.
    const req = request(`${url}/api/measurements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    req.write('{"sensor":"slow","value":1,');
    // Loopback delivers the headers long before this; it is a sync point, not a timing assertion.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = server.close();
    req.end('"unit":"celsius"}');
    const res = await response;
    res.resume();
    expect(res.statusCode).toBe(201);
    expect(res.headers.connection).toBe('close');
    await closed;
    expect(lines.at(-1)).toMatchObject({ status: 201, route: '/api/measurements' });
  });
});

describe('measurements API', () => {
  test('POST stores a measurement; GET by id returns it', async () => {
    const { url } = await start();
    const res = await post(url, { sensor: 'greenhouse-1', value: 21.5, unit: 'celsius' });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toMatchObject({ sensor: 'greenhouse-1', value: 21.5, unit: 'celsius' });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(created.createdAt)).not.toBeNaN();
    expect(created.recordedAt).toBe(created.createdAt);
    expect(res.headers.get('location')).toBe(`/api/measurements/${created.id}`);

    const fetched = await fetch(`${url}/api/measurements/${created.id}`);
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toEqual(created);
  });

  test('GET lists newest first with sensor filter and limit', async () => {
    const { url } = await start();
    for (const [sensor, value] of [
      ['a', 1],
      ['b', 2],
      ['a', 3],
      ['a', 4],
    ] as const) {
      expect((await post(url, { sensor, value, unit: 'percent' })).status).toBe(201);
    }
    const all = await (await fetch(`${url}/api/measurements`)).json();
    expect(all.items.map((m: { value: number }) => m.value)).toEqual([4, 3, 2, 1]);
    const filtered = await (await fetch(`${url}/api/measurements?sensor=a&limit=2`)).json();
    expect(filtered).toMatchObject({ count: 2, limit: 2 });
    expect(filtered.items.map((m: { value: number }) => m.value)).toEqual([4, 3]);
  });

  test('the store is bounded: the oldest measurement is evicted', async () => {
    const { url } = await start({ store: createMeasurementStore(2) });
    const ids: string[] = [];
    for (const value of [1, 2, 3])
      ids.push((await (await post(url, { sensor: 's', value, unit: 'percent' })).json()).id);
    expect((await fetch(`${url}/api/measurements/${ids[0]}`)).status).toBe(404);
    expect((await fetch(`${url}/api/measurements/${ids[2]}`)).status).toBe(200);
  });

  test('an unknown id is a 404 with a clear body', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/api/measurements/does-not-exist`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: 'not_found',
      message: 'no measurement with id "does-not-exist"',
    });
  });

  test.each([
    ['missing fields', {}, ['sensor', 'value', 'unit']],
    ['a string value', { sensor: 's', value: '1', unit: 'celsius' }, ['value']],
    ['an unknown unit', { sensor: 's', value: 1, unit: 'kelvin' }, ['unit']],
    ['a long sensor', { sensor: 'x'.repeat(65), value: 1, unit: 'celsius' }, ['sensor']],
    ['a bad date', { sensor: 's', value: 1, unit: 'celsius', recordedAt: 'yesterday' }, ['recordedAt']],
    ['an array body', [1, 2], ['']],
  ])('POST with %s is a 400 naming the fields', async (_name, body, fields) => {
    const { url } = await start();
    const res = await post(url, body);
    expect(res.status).toBe(400);
    const payload = await res.json();
    expect(payload.error).toBe('validation_failed');
    expect(payload.details.map((d: { field: string }) => d.field)).toEqual(fields);
  });

  test.each(['not json', '', '{"sensor":'])('POST with non-JSON body %j is a 400', async (body) => {
    const { url } = await start();
    const res = await post(url, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_json' });
  });

  test.each(['limit=0', 'limit=101', 'limit=x', 'sensor='])('GET with ?%s is a 400', async (query) => {
    const { url } = await start();
    const res = await fetch(`${url}/api/measurements?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'validation_failed' });
  });

  test('a body over 64 KiB is a 413, declared or streamed', async () => {
    const { url } = await start();
    const big = JSON.stringify({ sensor: 's', value: 1, unit: 'celsius', pad: 'x'.repeat(MAX_BODY_BYTES) });
    const declared = await post(url, big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: 'payload_too_large' });

    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
    let sent = 0;
    const streamed = await fetch(`${url}/api/measurements`, {
      method: 'POST',
      body: new ReadableStream({
        pull(controller) {
          if (sent++ < 5) controller.enqueue(chunk);
          else controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  test('a failing store gives a 500 with a generic body and an ERROR log line', async () => {
    const broken: MeasurementStore = {
      ...createMeasurementStore(),
      add() {
        throw new Error('disk on fire');
      },
      list() {
        throw new Error('disk on fire');
      },
    };
    const { url, lines } = await start({ store: broken });
    const res = await post(url, { sensor: 's', value: 1, unit: 'celsius' }, { 'x-correlation-id': 'boom-1' });
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body).toEqual({ error: 'internal_error', message: 'the request failed; see the service log' });
    expect(lines.at(-1)).toMatchObject({
      level: 'ERROR',
      status: 500,
      correlationId: 'boom-1',
      route: '/api/measurements',
      error: 'disk on fire',
    });
    const detailed = await fetch(`${url}/health/detailed`);
    expect(detailed.status).toBe(503);
    expect(await detailed.json()).toMatchObject({
      status: 'fail',
      components: { store: { status: 'fail' } },
    });
  });
});

describe('routing', () => {
  test.each([
    ['/nope', 'GET'],
    ['/api/measurements/a/b', 'GET'],
    ['/health', 'GET'],
  ])('%s is a 404 JSON', async (path, method) => {
    const { url } = await start();
    const res = await fetch(url + path, { method });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });

  test.each([
    ['/health/live', 'POST', 'GET'],
    ['/api/measurements', 'DELETE', 'GET, POST'],
    ['/api/measurements/x', 'PUT', 'GET'],
    ['/', 'POST', 'GET'],
  ])('%s with %s is a 405 with Allow', async (path, method, allow) => {
    const { url } = await start();
    const res = await fetch(url + path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(await res.json()).toMatchObject({ error: 'method_not_allowed' });
  });

  test('HEAD works where GET does', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/health/live`, { method: 'HEAD' });
    expect(res.status).toBe(200);
  });
});

describe('logs and correlation IDs', () => {
  test('a client correlation ID is echoed and logged with the request', async () => {
    const { url, lines } = await start();
    const res = await fetch(`${url}/api/measurements?limit=5`, {
      headers: { 'x-correlation-id': 'req-abc.123' },
    });
    expect(res.headers.get('x-correlation-id')).toBe('req-abc.123');
    const line = lines.find((entry) => entry.correlationId === 'req-abc.123');
    expect(line).toMatchObject({
      level: 'INFO',
      service: 'opsproof-demo',
      method: 'GET',
      route: '/api/measurements',
      path: '/api/measurements',
      status: 200,
    });
    expect(line?.requestId).toBe(res.headers.get('x-request-id'));
    expect(line?.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(line?.timestamp ?? '')).not.toBeNaN();
  });

  test('the route template is logged for parameterised paths', async () => {
    const { url, lines } = await start();
    await fetch(`${url}/api/measurements/abc`);
    expect(lines.at(-1)).toMatchObject({
      route: '/api/measurements/:id',
      path: '/api/measurements/abc',
      status: 404,
    });
  });

  test.each([
    ['absent', undefined],
    ['too long', 'x'.repeat(129)],
    ['with spaces', 'a b'],
    ['with a quote', 'a"b'],
  ])('a correlation ID %s is replaced by a generated UUID', async (_name, header) => {
    const { url, lines } = await start();
    const res = await fetch(`${url}/health/live`, { headers: header ? { 'x-correlation-id': header } : {} });
    const echoed = res.headers.get('x-correlation-id');
    expect(echoed).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(lines.at(-1)?.correlationId).toBe(echoed);
  });

  test('every request gets exactly one log line', async () => {
    const { url, lines } = await start();
    await Promise.all([
      fetch(`${url}/health/live`),
      fetch(`${url}/nope`),
      post(url, { sensor: 's', value: 1, unit: 'celsius' }),
      post(url, 'bad'),
    ]);
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((line) => line.requestId)).size).toBe(4);
  });
});

describe('web page', () => {
  test('serves a form with Sensor, Value, Unit, a Save button and a status region', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'sha256-/);
    const html = await res.text();
    expect(html).toMatch(/<form[^>]*id="measurement-form"/);
    for (const field of ['sensor', 'value', 'unit']) {
      expect(html).toContain(`<label for="${field}">`);
      expect(html).toMatch(new RegExp(`id="${field}" name="${field}"`));
    }
    expect(html).toMatch(/<button type="submit">Save<\/button>/);
    expect(html).toMatch(/role="status" aria-live="polite"/);
    expect(html).toContain("fetch('/api/measurements'");
    expect(html).toContain("'Saved ' + payload.id");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/);
  });
});
