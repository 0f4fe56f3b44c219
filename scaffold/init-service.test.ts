import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, EnvironmentError, UsageError } from '../core/errors.ts';
import { findFreePort } from '../runner/local-target.ts';
import { buildScaffoldInput, slug, splitCommand } from './init-service.ts';
import { classifyResponse, probeService } from './probe-service.ts';
import { buildOpenApiSummary, loadOpenApi } from './read-openapi.ts';

const petstore = fileURLToPath(new URL('../test-support/scaffold/petstore-openapi.yaml', import.meta.url));

test.each([
  ['node server.js --port {port}', ['node', 'server.js', '--port', '{port}']],
  [`npx serve -l {port} "my dist"`, ['npx', 'serve', '-l', '{port}', 'my dist']],
  [
    `python3 -m http.server {port} --bind='127.0.0.1'`,
    ['python3', '-m', 'http.server', '{port}', '--bind=127.0.0.1'],
  ],
])('splitCommand(%s)', (command, argv) => {
  expect(splitCommand(command)).toEqual(argv);
});

test('splitCommand of nothing is a usage error', () => {
  expect(() => splitCommand('  ')).toThrow(UsageError);
});

test.each([
  ['Swagger Petstore - OpenAPI 3.0', 'swagger-petstore-openapi-3-0'],
  ['@acme/Orders API', 'acme-orders-api'],
  ['---', 'service'],
])('slug(%s) = %s', (title, expected) => {
  expect(slug(title)).toBe(expected);
});

test.each([
  ['text/html; charset=utf-8', '', 'html'],
  ['application/json', '', 'json'],
  ['application/problem+json', '', 'json'],
  ['text/plain', '<!DOCTYPE html><html>', 'html'],
  ['', '{"ok":true}', 'json'],
  ['', '{not json', 'other'],
  ['text/plain', 'OK', 'other'],
] as const)('classifyResponse(%s, %s) = %s', (type, body, kind) => {
  expect(classifyResponse(type, body)).toBe(kind);
});

describe('OpenAPI', () => {
  test('the Swagger Petstore: safe operations under its server path, those needing an unknown id left out', async () => {
    const summary = await loadOpenApi(petstore);
    expect(summary.title).toBe('Swagger Petstore - OpenAPI 3.0');
    expect(summary.operations.map((o) => `${o.method} ${o.path}`)).toEqual([
      'GET /api/v3/pet/findByStatus',
      'GET /api/v3/pet/findByTags',
      'GET /api/v3/store/inventory',
      'GET /api/v3/user/login',
      'GET /api/v3/user/logout',
    ]);
    expect(summary.skipped.map((s) => s.operation)).toEqual([
      'GET /pet/{petId}',
      'GET /store/order/{orderId}',
      'GET /user/{username}',
    ]);
    expect(summary.skipped[0]?.reason).toBe('required path parameter "petId" has no example');
  });

  test('Swagger 2: host and basePath, x-example and enum values fill required parameters', () => {
    const summary = buildOpenApiSummary({
      swagger: '2.0',
      info: { title: 'Orders' },
      host: 'orders.example.com',
      basePath: '/v1',
      schemes: ['https'],
      paths: {
        '/orders/{id}': {
          get: {
            parameters: [{ name: 'id', in: 'path', required: true, 'x-example': 'o-1' }],
            responses: { '200': {} },
          },
        },
        '/orders': {
          get: {
            parameters: [{ name: 'state', in: 'query', required: true, enum: ['open', 'closed'] }],
            responses: {},
          },
        },
        '/secure': { get: { parameters: [{ name: 'X-Key', in: 'header', required: true }] } },
      },
    });
    expect(summary.serverUrl).toBe('https://orders.example.com');
    expect(summary.operations).toEqual([
      { name: 'GET /orders/{id}', method: 'GET', path: '/v1/orders/o-1', okStatuses: [200] },
      { name: 'GET /orders', method: 'GET', path: '/v1/orders?state=open', okStatuses: [] },
    ]);
    expect(summary.skipped).toEqual([
      { operation: 'GET /secure', reason: 'needs a header parameter "X-Key"' },
    ]);
  });

  test.each([
    [
      'a schema error names its path in the document',
      'openapi: 3.0.2\ninfo: {title: x, version: "1"}\npaths:\n  /a:\n    get:\n      responses: {"200": {description: ok}}\n      parameters: [{name: q, in: nowhere, schema: {type: string}}]\n',
      'paths./a.get.parameters.0.in',
    ],
    ['a YAML syntax error names its line', 'openapi: 3.0.2\ninfo: [\n', 'line 3, column 1'],
  ])('%s', async (_, text, path) => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'opsproof-openapi-')), 'api.yaml');
    writeFileSync(file, text);
    const error = await loadOpenApi(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).diagnostics.map((d) => d.path)).toEqual([path]);
  });
});

describe('probeService against a real server', () => {
  let server: Server;
  let url: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/api/items')
        return res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      if (req.url === '/broken.yaml')
        return res
          .writeHead(200, { 'content-type': 'application/yaml' })
          .end('openapi: 3.0.2\ninfo: [\n  a: b\n');
      if (req.url === '/openapi.yaml')
        return res.writeHead(200, { 'content-type': 'application/yaml' }).end(readFileSync(petstore));
      if (req.url === '/healthz')
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":1}');
      // A single-page app: every other path answers its index.html, /health included.
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<html><title> Shop </title><body>hi</body></html>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('a JSON path and the root page are found; the HTML fallback is no health path, /healthz is', async () => {
    const probe = await probeService(`${url}/api/items`);
    expect(probe).toEqual({
      origin: url,
      pages: [
        { path: '/api/items', status: 200, kind: 'json' },
        { path: '/', status: 200, kind: 'html', title: 'Shop' },
      ],
      healthPath: '/healthz',
    });
    expect(seen).toContain('/health');
    const input = buildScaffoldInput({
      probe,
      api: undefined,
      start: undefined,
      source: url,
      fallbackName: 'shop',
    });
    expect(input.readyPath).toBe('/healthz');
    expect(input.requests.map((r) => r.path)).toEqual(['/api/items', '/healthz']);
    expect(input.pages).toEqual([{ path: '/', title: 'Shop' }]);
  });

  test('an OpenAPI document read from a URL', async () => {
    const summary = await loadOpenApi(`${url}/openapi.yaml`);
    expect(summary.operations).toHaveLength(5);
  });

  test('a document at a URL that is not YAML names its line', async () => {
    const error = await loadOpenApi(`${url}/broken.yaml`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).diagnostics[0]?.path).toMatch(/^line \d+, column \d+$/);
  });

  test('a URL nothing answers is an environment error in one sentence', async () => {
    const port = await findFreePort();
    const error = await probeService(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).problem).toBe('target-unreachable');
    expect((error as Error).message).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${port}/ does not answer \\(.*ECONNREFUSED.*\\)\\.$`),
    );
  });
});

test('a document without an absolute server and no --url or --start is a usage error', () => {
  expect(() =>
    buildScaffoldInput({
      probe: undefined,
      api: {
        title: 't',
        operations: [{ name: 'a', method: 'GET', path: '/a', okStatuses: [] }],
        skipped: [],
      },
      start: undefined,
      source: 'api.yaml',
      fallbackName: 'x',
    }),
  ).toThrow(/no absolute server URL; give --url or --start/);
});
