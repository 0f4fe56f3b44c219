import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';

// Issue 18, canaries you can debug, as a user runs them: through the CLI (tsx loads the canary), a
// TypeError names the canary's .ts file and line, not the compiled JavaScript.
const exec = promisify(execFile);
const bin = join(import.meta.dirname, '..', 'bin/opsproof.js');

let dir: string;
let server: http.Server;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsproof-canary-debug-'));
  server = http.createServer((_req, res) => res.end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

test('canary run: a TypeError in a TypeScript canary names its file, line and column', async () => {
  await writeFile(
    join(dir, 'orders.canary.ts'),
    `import { defineCanary } from 'opsproof';

interface Order {
  id: string;
  lines: { sku: string }[];
}

export default defineCanary({ name: 'orders', type: 'api' }, async ({ http, step, baseUrl }) => {
  await step('first order', async () => {
    const body = (await http.get(baseUrl + '/orders')).json<{ orders?: Order[] }>();
    const first: Order = body.orders?.[0] as Order;
    if (first.lines.length === 0) throw new Error('no lines');
  });
});
`,
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const out = join(dir, 'run');
  const code = await exec(
    process.execPath,
    [bin, 'canary', 'run', '--url', url, '--file', 'orders.canary.ts', '--out', out],
    {
      cwd: dir,
      timeout: 60_000,
    },
  ).then(
    () => 0,
    (error: { code: number }) => error.code,
  );
  expect(code).toBe(1);
  const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
  expect(result.canaries?.[0]?.error).toBe(
    `step "first order" failed: TypeError: Cannot read properties of undefined (reading 'lines') (at orders.canary.ts:12:15)`,
  );
}, 60_000);
