import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LoadedSuite } from '../core/load-config.ts';
import { createRedactor } from '../core/redact.ts';
import { suiteSchema } from '../core/schema.ts';
import { Timeline } from '../core/timeline.ts';
import { requireTool } from '../core/tools.ts';
import { launchChromium } from './launch-chromium.ts';
import { loadCanaries } from './load-canaries.ts';
import { runCanaries } from './run-canaries.ts';

// The acceptance of issue 18 (canaries you can debug): what a failed canary says and leaves behind.
const chromium = requireTool('chromium');
const SECRET_HEADER = 'Bearer hdr-secret-7f3a9c';
const SECRET_IN_PAGE = 'page-secret-51d2e8';
const config = { concurrency: 1, retries: 0, timeout: '20s', stepTimeout: '2s' };

let dir: string;
let server: Server;
let baseUrl: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsproof-debug-canaries-'));
  server = createServer((req, res) => {
    res.setHeader('content-type', req.url === '/data' ? 'application/json' : 'text/html');
    if (req.url === '/data')
      return res.end(JSON.stringify({ token: SECRET_IN_PAGE, note: `see ${SECRET_IN_PAGE}` }));
    res.end(`<!doctype html><title>editor</title><p>key: ${SECRET_IN_PAGE}</p><button>Open</button>
      <script>fetch('/data').then((r) => r.text())</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function runFile(name: string, source: string) {
  const file = join(dir, `${name}.canary.ts`);
  await writeFile(file, source);
  const suite = suiteSchema.parse({
    service: 'test',
    environments: { local: { target: baseUrl } },
    canaries: { files: [file] },
  });
  const loadedSuite: LoadedSuite = { suite, file: join(dir, 'opsproof.config.ts'), dir, warnings: [] };
  const loaded = await loadCanaries(loadedSuite);
  expect(loaded.failures).toEqual([]);
  const outDir = join(dir, `run-${name}`);
  const outcome = await runCanaries({
    ...loaded,
    baseUrl,
    env: 'local',
    config,
    timeline: new Timeline(),
    outDir,
    headers: { Authorization: SECRET_HEADER },
    redact: createRedactor({ secrets: [SECRET_IN_PAGE, SECRET_HEADER] }).text,
  });
  return { ...outcome, outDir, file };
}

describe.skipIf(chromium.skip)('canaries you can debug', () => {
  test('a wait for a missing locator fails naming the locator; the trace beside the screenshot is masked', async () => {
    const { canaries, artifacts, outDir } = await runFile(
      'missing-locator',
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'missing-locator', type: 'browser' }, async ({ page, step, baseUrl }) => {
  await step('open editor', async () => {
    await page.goto(baseUrl + '/', { waitUntil: 'networkidle' });
    await page.getByRole('button', { name: 'Save draft' }).waitFor();
  });
});
`,
    );
    const [canary] = canaries;
    expect(canary?.status).toBe('failed');
    expect(canary?.error).toBe(
      `step "open editor" failed: timed out after 2000 ms in locator.waitFor — waiting for getByRole('button', { name: 'Save draft' }) to be visible`,
    );
    expect(canary?.steps[0]?.artifacts).toEqual([
      'canaries/missing-locator/attempt1-open-editor.png',
      'canaries/missing-locator/attempt1-trace.zip',
    ]);
    expect(artifacts.map((a) => a.kind)).toEqual(['screenshot', 'trace']);
    const zip = await JSZip.loadAsync(
      await readFile(join(outDir, 'canaries/missing-locator/attempt1-trace.zip')),
    );
    const names = Object.keys(zip.files);
    expect(names).toEqual(expect.arrayContaining(['trace.trace', 'trace.network']));
    let all = '';
    for (const entry of Object.values(zip.files)) if (!entry.dir) all += await entry.async('string');
    // The page's text, the response body and the header were all recorded, and all masked.
    expect(all).toContain('Save draft');
    expect(all).toContain('[REDACTED]');
    expect(all).not.toContain(SECRET_IN_PAGE);
    expect(all).not.toContain('hdr-secret-7f3a9c');
  });

  test('a TypeError in a canary names its file and line', async () => {
    const { canaries, file } = await runFile(
      'type-error',
      `import { defineCanary } from 'opsproof';

interface Item { name: string }

export default defineCanary({ name: 'type-error', type: 'api' }, async ({ step }) => {
  await step('read item', async () => {
    const found = undefined as unknown as { item: Item };
    if (found.item.name === '') throw new Error('unreachable');
  });
});
`,
    );
    expect(canaries[0]?.error).toBe(
      `step "read item" failed: TypeError: Cannot read properties of undefined (reading 'item') (at ${file}:8:15)`,
    );
  });

  test("the trace opens in Playwright's trace viewer", async () => {
    const { outDir } = await runFile(
      'viewer',
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'viewer', type: 'browser' }, async ({ page, step, baseUrl }) => {
  await step('open', async () => {
    await page.goto(baseUrl + '/');
    await page.getByText('No such text').click();
  });
});
`,
    );
    const trace = join(outDir, 'canaries/viewer/attempt1-trace.zip');
    // playwright-core ships the viewer as a static app (a page and a service worker that reads the zip).
    const app = join(import.meta.dirname, '../node_modules/playwright-core/lib/vite/traceViewer');
    const types: Record<string, string> = {
      '.html': 'text/html',
      '.js': 'text/javascript',
      '.css': 'text/css',
      '.svg': 'image/svg+xml',
      '.zip': 'application/zip',
    };
    const viewer = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const file = path === '/trace.zip' ? trace : join(app, normalize(path === '/' ? '/index.html' : path));
      res.setHeader('content-type', types[extname(file)] ?? 'application/octet-stream');
      createReadStream(file)
        .on('error', () => res.writeHead(404).end())
        .pipe(res);
    });
    await new Promise<void>((resolve) => viewer.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(viewer.address() as AddressInfo).port}`;
    const launched = await launchChromium({ executablePath: chromium.path });
    try {
      const page = await launched.browser.newPage();
      await page.goto(`${origin}/index.html?trace=${encodeURIComponent(`${origin}/trace.zip`)}`);
      // The action list shows the failed click with its locator and error.
      await page.getByText("getByText('No such text')").first().waitFor({ timeout: 15_000 });
      await expect(page.getByText('Could not load trace').count()).resolves.toBe(0);
    } finally {
      await launched.close();
      await new Promise((resolve) => viewer.close(resolve));
    }
  }, 60_000);
});
