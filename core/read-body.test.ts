import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BodyTooLargeError, readBody } from './read-body.ts';

const LIMIT = 16;
let server: http.Server;
let url: string;
beforeAll(async () => {
  // Echoes the body it read, or answers 413 as the product servers do.
  server = http.createServer((req, res) => {
    readBody(req, LIMIT).then(
      (body) => res.end(body),
      (error: unknown) => {
        const tooLarge = error instanceof BodyTooLargeError;
        res.writeHead(tooLarge ? 413 : 500, { connection: 'close' }).end((error as Error).message);
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

/** A body sent with its length, or in chunks without one (the limit then trips while reading). */
function post(parts: string[], chunked: boolean): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const size = parts.reduce((n, p) => n + Buffer.byteLength(p), 0);
    const req = http.request(
      url,
      { method: 'POST', headers: chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': size } },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}

test.each([
  ['empty', [], false, 200, ''],
  ['small', ['hello'], false, 200, 'hello'],
  ['exactly the limit, in chunks', ['12345678', '90abcdef'], true, 200, '1234567890abcdef'],
  ['declared one byte over', ['1234567890abcdefg'], false, 413, 'request body larger than 16 bytes'],
  [
    'chunked, past the limit while read',
    ['12345678', '90abcdef', 'x'.repeat(64 * 1024)],
    true,
    413,
    'request body larger than 16 bytes',
  ],
])('%s body → %i', async (_name, parts, chunked, status, text) => {
  expect(await post(parts, chunked)).toEqual({ status, text });
});
