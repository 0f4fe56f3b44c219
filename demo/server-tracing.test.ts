import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, expect, test } from 'vitest';
import { buildTracesUrl } from './create-tracing.ts';
import { type DemoServer, startDemoServer } from './server.ts';

type AnyValue = { stringValue?: string; intValue?: number | string };
interface OtlpSpan {
  traceId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: AnyValue }[];
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: AnyValue }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

/** A tiny OTLP/HTTP receiver: records every JSON export POSTed to /v1/traces. */
async function startReceiver() {
  const exports: OtlpExport[] = [];
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      paths.push(req.url ?? '');
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (req.method === 'POST' && req.url === '/v1/traces') exports.push(JSON.parse(body.toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    paths,
    spans: () =>
      exports.flatMap((batch) =>
        batch.resourceSpans.flatMap((rs) =>
          rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, resource: rs.resource }))),
        ),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attribute = (attributes: { key: string; value: AnyValue }[], key: string) => {
  const value = attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startPair(): Promise<{
  demo: DemoServer;
  receiver: Awaited<ReturnType<typeof startReceiver>>;
}> {
  const receiver = await startReceiver();
  cleanups.push(receiver.close);
  const demo = await startDemoServer({ otlpEndpoint: receiver.url, log: () => {} });
  cleanups.push(demo.close);
  return { demo, receiver };
}

test('each request becomes a server span with route, status and correlation id, exported while running', async () => {
  const { demo, receiver } = await startPair();
  const created = await fetch(`${demo.url}/api/measurements`, {
    method: 'POST',
    headers: { 'x-correlation-id': 'trace-me-1' },
    body: JSON.stringify({ sensor: 's', value: 1, unit: 'celsius' }),
  });
  const { id } = await created.json();
  await fetch(`${demo.url}/api/measurements/${id}`, { headers: { 'x-correlation-id': 'trace-me-2' } });

  // Bounded wait for the batch processor's short schedule; the server stays up meanwhile.
  const deadline = Date.now() + 5000;
  while (receiver.spans().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

  expect(receiver.paths.every((path) => path === '/v1/traces')).toBe(true);
  const spans = receiver.spans();
  const post = spans.find(({ span }) => attribute(span.attributes, 'correlation.id') === 'trace-me-1');
  expect(post).toBeDefined();
  expect(post?.span.name).toBe('POST /api/measurements');
  expect(post?.span.kind).toBe(2); // SERVER
  expect(attribute(post!.span.attributes, 'http.request.method')).toBe('POST');
  expect(attribute(post!.span.attributes, 'http.route')).toBe('/api/measurements');
  expect(attribute(post!.span.attributes, 'url.path')).toBe('/api/measurements');
  expect(attribute(post!.span.attributes, 'http.response.status_code')).toBe(201);
  expect(attribute(post!.resource.attributes, 'service.name')).toBe('opsproof-demo');

  const get = spans.find(({ span }) => attribute(span.attributes, 'correlation.id') === 'trace-me-2');
  expect(attribute(get!.span.attributes, 'http.route')).toBe('/api/measurements/:id');
  expect(attribute(get!.span.attributes, 'url.path')).toBe(`/api/measurements/${id}`);
});

test('close flushes pending spans; a traceparent header continues the caller trace', async () => {
  const { demo, receiver } = await startPair();
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await fetch(`${demo.url}/health/ready`, {
    headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-correlation-id': 'flush-me' },
  });
  await demo.close();
  const span = receiver
    .spans()
    .find(({ span }) => attribute(span.attributes, 'correlation.id') === 'flush-me');
  expect(span?.span.traceId).toBe(traceId);
  expect(span?.span.parentSpanId).toBe('00f067aa0ba902b7');
});

test('the trace id is in the request log line when tracing is on', async () => {
  const receiver = await startReceiver();
  cleanups.push(receiver.close);
  const lines: { traceId?: string }[] = [];
  const demo = await startDemoServer({
    otlpEndpoint: receiver.url,
    log: (line) => lines.push(JSON.parse(line)),
  });
  cleanups.push(demo.close);
  await fetch(`${demo.url}/health/live`);
  expect(lines[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
});

test('close still succeeds when the trace backend is gone', async () => {
  const receiver = await startReceiver();
  await receiver.close();
  const lines: { level: string; message?: string }[] = [];
  const demo = await startDemoServer({
    otlpEndpoint: receiver.url,
    log: (line) => lines.push(JSON.parse(line)),
  });
  await fetch(`${demo.url}/health/live`);
  await demo.close();
  expect(lines.at(-1)).toMatchObject({ level: 'WARN' });
  expect(lines.at(-1)?.message).toContain('could not export the last spans');
});

test('without an endpoint nothing is traced', async () => {
  const lines: { traceId?: string }[] = [];
  const demo = await startDemoServer({ log: (line) => lines.push(JSON.parse(line)) });
  cleanups.push(demo.close);
  await fetch(`${demo.url}/health/live`);
  expect(lines[0]).not.toHaveProperty('traceId');
  expect(await (await fetch(`${demo.url}/health/detailed`)).json()).toMatchObject({
    components: { config: { tracing: 'disabled' } },
  });
});

test.each([
  ['http://127.0.0.1:4318', 'http://127.0.0.1:4318/v1/traces'],
  ['http://127.0.0.1:4318/', 'http://127.0.0.1:4318/v1/traces'],
  ['http://collector:4318/otlp', 'http://collector:4318/otlp/v1/traces'],
])('endpoint %s sends traces to %s', (endpoint, expected) => {
  expect(buildTracesUrl(endpoint)).toBe(expected);
});
