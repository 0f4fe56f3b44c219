import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunResult } from '../core/run-result.ts';
import { requireTool } from '../core/tools.ts';

// Issue 18 acceptance, from a fresh folder outside the repository: a suite with a web target and an
// API target runs a browser canary against one and load against the other in one `opsproof gate`.
const exec = promisify(execFile);
const bin = join(import.meta.dirname, '..', 'bin/opsproof.js');
const chromium = requireTool('chromium');

const hits = { web: [] as string[], api: [] as string[] };
const servers = {
  web: http.createServer((req, res) => {
    hits.web.push(req.url ?? '');
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>notes</title><button>New note</button>');
  }),
  api: http.createServer((req, res) => {
    hits.api.push(req.url ?? '');
    const ok = req.url === '/health' || req.url?.startsWith('/notes');
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end('{"notes":[]}');
  }),
};
let dir: string;
const url = (s: http.Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
beforeAll(async () => {
  for (const s of Object.values(servers)) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  dir = await mkdtemp(join(tmpdir(), 'opsproof-gate-web-api-'));
  await writeFile(
    join(dir, 'notes.canary.ts'),
    `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'notes', type: 'browser', target: 'web' }, async ({ page, step, baseUrl }) => {
await step('open notes', async () => {
  await page.goto(baseUrl + '/notes-page');
  await page.getByRole('button', { name: 'New note' }).waitFor();
});
});
`,
  );
  await writeFile(
    join(dir, 'opsproof.config.json'),
    JSON.stringify({
      service: 'notes',
      environments: {
        local: { targets: { web: url(servers.web), api: { url: url(servers.api), readyPath: '/health' } } },
      },
      canaries: { files: ['notes.canary.ts'] },
      load: {
        default: 'list',
        // Closed model: a short, bounded run whose verdict does not hang on the generator's timing.
        profiles: {
          list: {
            target: 'api',
            model: 'closed',
            connections: 2,
            duration: '1s',
            requests: [{ path: '/notes' }],
          },
        },
      },
    }),
  );
});
afterAll(async () => {
  for (const s of Object.values(servers)) await new Promise<void>((r) => s.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

test.skipIf(chromium.skip)(
  'opsproof gate: browser canary → web, load → api, each named in result.json',
  async () => {
    const out = join(dir, 'run');
    const { code, stderr } = await exec(process.execPath, [bin, 'gate', '--env', 'local', '--out', out], {
      cwd: dir,
      timeout: 90_000,
    }).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(code, stderr).toBe(0);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.targets).toEqual({ web: url(servers.web), api: url(servers.api) });
    // The gate runs its canaries before load and again after chaos: both times against the web target.
    expect(result.canaries?.map((c) => [c.name, c.stage, c.status, c.targetName])).toEqual([
      ['notes', 'canaries', 'passed', 'web'],
      ['notes', 'canaries-after', 'passed', 'web'],
    ]);
    expect([result.load?.targetName, result.load?.target]).toEqual(['api', url(servers.api)]);
    expect(result.load?.requests).toBeGreaterThan(0);
    expect(hits.web).toContain('/notes-page');
    expect(hits.api).not.toContain('/notes-page');
    expect(hits.web.filter((u) => u === '/notes')).toEqual([]);
    expect(hits.api.filter((u) => u === '/notes').length).toBeGreaterThanOrEqual(result.load?.requests ?? 1);
    expect(await readFile(join(out, 'summary.md'), 'utf8')).toContain('(browser → web)');
  },
  120_000,
);

test.skipIf(chromium.skip)(
  'canary run --url in that folder: the URL replaces every named target',
  async () => {
    const out = join(dir, 'url-run');
    const { code, stderr } = await exec(
      process.execPath,
      [bin, 'canary', 'run', '--env', 'local', '--url', url(servers.web), '--out', out],
      { cwd: dir, timeout: 60_000 },
    ).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(code, stderr).toBe(0);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as RunResult;
    expect(result.service).toBe('notes');
    expect(result.target).toBe(url(servers.web));
    expect(result.targets).toBeUndefined();
    expect(result.canaries?.map((c) => [c.name, c.status, c.targetName])).toEqual([
      ['notes', 'passed', undefined],
    ]);
  },
  60_000,
);
