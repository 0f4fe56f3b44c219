import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import JSZip from 'jszip';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRedactor, REDACTED } from '../core/redact.ts';
import { repoPath, requireTool } from '../core/tools.ts';
import { EmbeddedTelemetry } from '../telemetry/embedded/embedded-telemetry.ts';
import { type Box, maskPixels } from '../test-support/test-pixels.ts';

// Plants secrets in real runs through the CLI and searches every file of the run directory, stdout
// and stderr for each of them, raw, URL-encoded and base64. This is the proof behind "nothing secret
// leaks" in the README's Guarantees.

/** Resolved through `${secret:API_TOKEN}` from an environment variable, sent as `Authorization: Bearer …`. */
const API_TOKEN = 'tok-Q7vX9mZ2pL4sN8wR';
/** Sent by the canary as `?token=…` in a URL (not configured anywhere: the URL rule must catch it). */
const URL_TOKEN = 'urlTok-5Hd8Kq2Wz7Jc';
/** A `redact` literal of the suite, echoed by the target in its response body and its log line. */
const LITERAL = 'acct-9F3kP1xV6tB0';
const SECRETS = { API_TOKEN, URL_TOKEN, LITERAL };
/** Elements of the target's settings page: every one but `control` shows a secret. */
const PAGE_ELEMENTS = ['control', 'echo', 'account', 'key', 'password'];
const chromium = requireTool('chromium');

const forms = (value: string) => ({
  raw: value,
  urlEncoded: encodeURIComponent(value),
  base64: Buffer.from(value).toString('base64'),
  bearerBase64: Buffer.from(`Bearer ${value}`).toString('base64'),
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Every place a planted secret was found, as `file: SECRET (form)`. */
function findLeaks(haystacks: Record<string, string>): string[] {
  const leaks: string[] = [];
  for (const [where, text] of Object.entries(haystacks)) {
    for (const [name, value] of Object.entries(SECRETS)) {
      for (const [form, needle] of Object.entries(forms(value))) {
        if (text.includes(needle)) leaks.push(`${where}: ${name} (${form})`);
      }
    }
  }
  return leaks;
}

/** The screenshot covers each listed element but `control` with the mask colour; `control` shows its text. */
function expectMasked(pngPath: string, boxesFile: string, ids: readonly string[]): void {
  const boxes = JSON.parse(readFileSync(boxesFile, 'utf8')) as Record<string, Box>;
  const png = PNG.sync.read(readFileSync(pngPath));
  const unmasked = ids
    .filter((id) => id !== 'control')
    .filter((id) => {
      const { mask, total } = maskPixels(png, boxes[id]!);
      return total === 0 || mask !== total;
    });
  expect(unmasked).toEqual([]);
  const control = maskPixels(png, boxes.control!);
  expect(control.mask).toBe(0);
  expect(control.dark).toBeGreaterThan(0);
}

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoPath('bin', 'opsproof.js'), ...args], {
      cwd: repoPath(),
      env: { ...process.env, CI: 'true', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('no secret leaks from a run', () => {
  let server: Server;
  let baseUrl: string;
  let work: string;
  const seen: { path: string; authorization: string | undefined }[] = [];
  const targetLog: string[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ path: url.pathname, authorization: req.headers.authorization });
      // The target's own log line carries the redact literal, as a careless service would.
      targetLog.push(JSON.stringify({ msg: 'request', path: url.pathname, account: LITERAL }));
      if (url.pathname === '/page') {
        // A careless page: it shows the token it was sent, the account literal split over two spans,
        // and the token in an input; the password field holds it too.
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><body style="margin:8px;font:16px/1.5 sans-serif;color:#111;background:#fff">
<p id="control">Welcome back to the settings page</p>
<p id="echo">You sent: ${req.headers.authorization ?? 'nothing'}</p>
<p id="account">Account <span>${LITERAL.slice(0, 5)}</span><span>${LITERAL.slice(5)}</span></p>
<input id="key" value="${API_TOKEN}" size="40" style="display:block">
<input id="password" type="password" value="${API_TOKEN}" style="display:block">
</body>`);
        return;
      }
      if (url.pathname === '/ok') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, account: LITERAL }));
        return;
      }
      // A failing endpoint echoing everything it got: the snippet and the error carry every secret.
      res.writeHead(500, { 'content-type': 'application/json', 'set-cookie': `sid=${API_TOKEN}` });
      res.end(
        JSON.stringify({
          error: 'boom',
          account: LITERAL,
          echoedAuthorization: req.headers.authorization,
          echoedUrl: req.url,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    work = mkdtempSync(join(tmpdir(), 'opsproof-leaks-'));
    writeFileSync(
      join(work, 'opsproof.config.json'),
      JSON.stringify({
        service: 'leak-test',
        environments: {
          test: {
            target: baseUrl,
            secrets: { API_TOKEN: { env: 'LEAK_TEST_API_TOKEN' } },
            headers: { Authorization: 'Bearer ${secret:API_TOKEN}', 'X-Trace': 'plain' },
          },
        },
        redact: [LITERAL],
      }),
    );
    writeFileSync(
      join(work, 'leaky.canary.ts'),
      `import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'leaky', type: 'api' }, async ({ http, step, baseUrl }) => {
  await step('ok', async () => {
    const res = await http.get(baseUrl + '/ok');
    if (res.status !== 200) throw new Error('ok returned ' + res.status);
  });
  await step('fails with secrets everywhere', async () => {
    const res = await http.get(baseUrl + '/fail?token=' + process.env.LEAK_TEST_URL_TOKEN + '&page=1');
    throw new Error('fail returned ' + res.status + ': ' + res.body + ' cookie ' + res.headers['set-cookie']);
  });
});
`,
    );
    writeFileSync(
      join(work, 'leaky-page.canary.ts'),
      `import { writeFileSync } from 'node:fs';
import { defineCanary } from 'opsproof';
export default defineCanary({ name: 'leaky-page', type: 'browser' }, async ({ page, step, baseUrl }) => {
  await step('open settings', async () => {
    await page.goto(baseUrl + '/page');
    const boxes = {};
    for (const id of ${JSON.stringify(PAGE_ELEMENTS)}) boxes[id] = await page.locator('#' + id).boundingBox();
    writeFileSync(process.env.LEAK_TEST_BOXES, JSON.stringify(boxes));
    throw new Error('settings page check failed');
  });
});
`,
    );
  }, 30_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('canary run --json: the header is sent, the canary fails, and no artifact, stdout or stderr holds a secret', async () => {
    const out = join(work, 'run-canary');
    const { code, stdout, stderr } = await runCli(
      [
        'canary',
        'run',
        '--config',
        join(work, 'opsproof.config.json'),
        '--env',
        'test',
        '--url',
        baseUrl,
        '--file',
        join(work, 'leaky.canary.ts'),
        '--out',
        out,
        '--json',
      ],
      { LEAK_TEST_API_TOKEN: API_TOKEN, LEAK_TEST_URL_TOKEN: URL_TOKEN },
    );
    expect(code, stderr).toBe(1);
    // The secrets really travelled: the header (expanded from the secret ref) and the URL token.
    expect(seen.filter((s) => s.path === '/ok').map((s) => s.authorization)).toEqual([`Bearer ${API_TOKEN}`]);
    expect(seen.some((s) => s.path === '/fail' && s.authorization === `Bearer ${API_TOKEN}`)).toBe(true);

    const files = filesUnder(out);
    const names = files.map((f) => relative(out, f)).sort();
    expect(names).toEqual(expect.arrayContaining(['result.json', 'junit.xml', 'summary.md', 'report.html']));
    const snippet = files.find((f) => f.endsWith('.txt'));
    expect(snippet, `no failure snippet among ${names.join(', ')}`).toBeDefined();
    const snippetText = readFileSync(snippet!, 'utf8');
    // The snippet still says what happened, with the secrets replaced.
    expect(snippetText).toContain('/fail?token=[REDACTED]');
    expect(snippetText).toContain(REDACTED);

    const result = JSON.parse(stdout) as { status: string; canaries: { error?: string }[] };
    expect(result.status).toBe('failed');
    expect(result.canaries[0]?.error).toContain('fail returned 500');

    const haystacks: Record<string, string> = { stdout, stderr };
    for (const file of files) haystacks[relative(out, file)] = readFileSync(file).toString('latin1');
    expect(findLeaks(haystacks)).toEqual([]);
    // Sanity of the search itself: the unredacted snippet would have been caught.
    expect(findLeaks({ planted: `${API_TOKEN} ${URL_TOKEN} ${LITERAL}` })).toEqual(
      expect.arrayContaining([
        'planted: API_TOKEN (raw)',
        'planted: URL_TOKEN (raw)',
        'planted: LITERAL (raw)',
      ]),
    );
  }, 90_000);

  test.skipIf(chromium.skip)(
    'canary run with a browser canary: the failure screenshot masks every secret the page shows; the only other image is report.png',
    async () => {
      const out = join(work, 'run-browser');
      const boxesFile = join(work, 'boxes.json');
      const { code, stdout, stderr } = await runCli(
        [
          'canary',
          'run',
          '--config',
          join(work, 'opsproof.config.json'),
          '--env',
          'test',
          '--url',
          baseUrl,
          '--file',
          join(work, 'leaky-page.canary.ts'),
          '--out',
          out,
          '--json',
        ],
        { LEAK_TEST_API_TOKEN: API_TOKEN, LEAK_TEST_BOXES: boxesFile },
      );
      expect(code, stderr).toBe(1);
      // The browser really sent the token (so the page really showed it).
      expect(seen.some((s) => s.path === '/page' && s.authorization === `Bearer ${API_TOKEN}`)).toBe(true);

      const files = filesUnder(out);
      const images = files.filter((f) => /\.(png|jpe?g|webp|gif)$/i.test(f)).map((f) => relative(out, f));
      // Image kinds a run writes: canary failure screenshots (masked, checked below) and report.png,
      // rendered from report.html, which is written redacted (its text is searched below with the rest).
      const shots = images.filter((f) => f.startsWith('canaries/'));
      expect(shots).toEqual(['canaries/leaky-page/attempt1-open-settings.png']);
      expect(images.filter((f) => !shots.includes(f))).toEqual(['report.png']);

      expectMasked(join(out, shots[0]!), boxesFile, PAGE_ELEMENTS);

      const haystacks: Record<string, string> = { stdout, stderr };
      for (const file of files) haystacks[relative(out, file)] = readFileSync(file).toString('latin1');
      // The Playwright trace is compressed: its entries (network headers and bodies, DOM snapshots) are searched.
      const traces = files.filter((f) => f.endsWith('trace.zip'));
      expect(traces.map((f) => relative(out, f))).toEqual(['canaries/leaky-page/attempt1-trace.zip']);
      for (const trace of traces) {
        const zip = await JSZip.loadAsync(readFileSync(trace));
        for (const entry of Object.values(zip.files)) {
          if (!entry.dir)
            haystacks[`${relative(out, trace)}!${entry.name}`] = Buffer.from(
              await entry.async('uint8array'),
            ).toString('latin1');
        }
      }
      expect(findLeaks(haystacks)).toEqual([]);
    },
    90_000,
  );

  test.skipIf(chromium.skip)(
    'canary watch: the same redactor masks the screenshot and redacts what it writes and prints',
    async () => {
      const out = join(work, 'watch-browser');
      const boxesFile = join(work, 'boxes-watch.json');
      const { code, stdout, stderr } = await runCli(
        [
          'canary',
          'watch',
          '--config',
          join(work, 'opsproof.config.json'),
          '--env',
          'test',
          '--url',
          baseUrl,
          '--file',
          join(work, 'leaky-page.canary.ts'),
          '--every',
          '1s',
          '--runs',
          '1',
          '--out',
          out,
        ],
        { LEAK_TEST_API_TOKEN: API_TOKEN, LEAK_TEST_BOXES: boxesFile },
      );
      expect(code, stderr).toBe(1);
      const files = filesUnder(out);
      const shot = files.find((f) => f.endsWith('.png'));
      expect(relative(out, shot ?? 'missing')).toBe('run-1/canaries/leaky-page/attempt1-open-settings.png');
      // `watch` sends no environment headers, so the page echoes none: the literal, the input and
      // the password field still show secrets.
      expectMasked(shot!, boxesFile, ['control', 'account', 'key', 'password']);
      const haystacks: Record<string, string> = { stdout, stderr };
      for (const file of files) haystacks[relative(out, file)] = readFileSync(file).toString('latin1');
      expect(findLeaks(haystacks)).toEqual([]);
    },
    90_000,
  );

  test('a missing secret stops the run before anything is sent (exit 3, names the secret, not a value)', async () => {
    const before = seen.length;
    const { code, stderr } = await runCli(
      [
        'canary',
        'run',
        '--config',
        join(work, 'opsproof.config.json'),
        '--env',
        'test',
        '--url',
        baseUrl,
        '--file',
        join(work, 'leaky.canary.ts'),
        '--out',
        join(work, 'run-missing'),
      ],
      { LEAK_TEST_API_TOKEN: '' },
    );
    expect(code).toBe(3);
    expect(stderr).toContain('secret "API_TOKEN" of environment "test" could not be resolved');
    expect(seen.length).toBe(before);
  }, 60_000);

  test('captured target log lines are stored redacted', async () => {
    const redactor = createRedactor({ secrets: [LITERAL, API_TOKEN] });
    const telemetry = new EmbeddedTelemetry({ redactLog: redactor.text });
    const stream = new PassThrough();
    telemetry.captureLogs(stream, 'target');
    const lines = [
      ...targetLog,
      JSON.stringify({ msg: 'auth', header: `Bearer ${API_TOKEN}` }),
      `plain line with ?token=${URL_TOKEN} and ${LITERAL}`,
    ];
    stream.end(`${lines.join('\n')}\n`);
    await new Promise((r) => setImmediate(r));
    const records = telemetry.logs.find({ from: new Date(0) });
    expect(records).toHaveLength(lines.length);
    expect(records.some((r) => r.fields.account === REDACTED)).toBe(true);
    expect(findLeaks({ logs: JSON.stringify(records) })).toEqual([]);
    await telemetry.close();
  });
});
