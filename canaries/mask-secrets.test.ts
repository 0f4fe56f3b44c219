import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRedactor } from '../core/redact.ts';
import { Timeline } from '../core/timeline.ts';
import { requireTool } from '../core/tools.ts';
import { type Box, maskPixels } from '../test-support/test-pixels.ts';
import { defineCanary } from './define-canary.ts';
import {
  createSecretTest,
  type ElementText,
  MASK_ATTRIBUTE,
  MASK_COLOR,
  selectSecretElements,
} from './mask-secrets.ts';
import { runCanaries } from './run-canaries.ts';

/** A configured secret value (as resolved from `environments.X.secrets` or a `redact` literal). */
const SECRET = 'sk-live-7Qp2Xw9Lm4';
/** In a password field: masked because of the field, not because anyone configured it. */
const PASSWORD = 'hunter2-Pw9zz';
const redactor = createRedactor({ secrets: [SECRET] });
const showsSecret = createSecretTest(redactor.text);

describe('selectSecretElements (pure)', () => {
  const el = (parts: (string | number)[], extra: Partial<ElementText> = {}): ElementText => ({
    parts,
    ...extra,
  });
  test.each<[string, ElementText[], number[]]>([
    ['nothing secret', [el(['hello ', 1]), el(['world'])], []],
    ['the secret in a leaf: only the leaf', [el(['a ', 1, ' b']), el([`key ${SECRET}`])], [1]],
    [
      'split over two spans: their parent, not the spans, not the grandparent',
      [el([1, 'other text']), el(['key: ', 2, 3]), el([SECRET.slice(0, 6)]), el([SECRET.slice(6)])],
      [1],
    ],
    ['split over text nodes of one element', [el(['x', 1]), el([SECRET.slice(0, 3), SECRET.slice(3)])], [1]],
    [
      'a masked child hides its part: the parent is not masked for it',
      [el([1]), el(['before ', 2, ' after']), el([SECRET])],
      [2],
    ],
    [
      'a second, split secret beside a masked child still masks the parent',
      [el([1]), el([2, ' and ', 3, 4]), el([SECRET]), el([SECRET.slice(0, 9)]), el([SECRET.slice(9)])],
      [1, 2],
    ],
    [
      'a masked child splits its parent text: no secret is matched across it',
      [el([1]), el([SECRET.slice(0, 9), 2, SECRET.slice(9)]), el([SECRET])],
      [2],
    ],
    ['a password input, whatever it holds', [el([1]), el([], { password: true, shown: ['x'] })], [1]],
    [
      'an input showing the secret',
      [el([1, 2]), el([], { shown: [`t ${SECRET}`, ''] }), el([], { shown: ['no'] })],
      [1],
    ],
    [
      'credential patterns of the redactor: a bearer token',
      [el([1]), el(['Authorization: Bearer abcDEF123456789'])],
      [1],
    ],
  ])('%s', (_name, elements, expected) => {
    expect(selectSecretElements(elements, showsSecret)).toEqual(expected);
  });

  test('the secret test is the redactor: shorter than 4 characters is never secret, [REDACTED] is not', () => {
    const test = createSecretTest(createRedactor({ secrets: ['abc', SECRET] }).text);
    expect(test('abc')).toBe(false);
    expect(test('[REDACTED]')).toBe(false);
    expect(test(encodeURIComponent(`${SECRET}/x`))).toBe(true);
  });
});

const chromium = requireTool('chromium');

describe.skipIf(chromium.skip)('failure screenshots of browser canaries mask secrets (real Chromium)', () => {
  let server: Server;
  let baseUrl: string;
  let frameUrl: string;
  let outDir: string;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'opsproof-mask-'));
    server = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      if (req.url === '/frame') {
        res.end(
          `<!doctype html><body style="margin:4px;font:16px sans-serif"><p id="inner">In a frame: ${SECRET}</p><p id="inner-control">Plain frame text</p></body>`,
        );
        return;
      }
      if (req.url === '/unreadable-frame') {
        // Our reading of the DOM fails here (as on a page that rewrites DOM APIs); the page still paints.
        res.end(
          `<!doctype html><body><p>${SECRET}</p><script>Object.defineProperty(Document.prototype, 'documentElement', { get() { throw new Error('unreadable'); } });</script></body>`,
        );
        return;
      }
      if (req.url === '/with-unreadable-frame') {
        res.end(
          `<!doctype html><body style="margin:8px;font:16px sans-serif"><p id="control">Plain text</p><iframe id="frame" src="${frameUrl}/unreadable-frame" style="width:400px;height:100px;border:0"></iframe></body>`,
        );
        return;
      }
      if (req.url === '/changing') {
        // Keeps adding secrets: every screenshot is outdated before it is checked.
        res.end(
          `<!doctype html><body><p>start</p><script>setInterval(() => { const p = document.createElement('p'); p.textContent = '${SECRET}'; document.body.append(p); }, 1);</script></body>`,
        );
        return;
      }
      const half = 6;
      res.end(`<!doctype html>
<html><head><style>body{margin:8px;font:16px/1.5 sans-serif;color:#111;background:#fff} p{margin:8px 0} input{display:block;margin:8px 0;font:16px sans-serif} dialog::backdrop{background:transparent}</style></head>
<body>
<p id="control">Nothing secret on this line at all</p>
<p id="text">Your API key is ${SECRET}</p>
<p id="split">Key: <span>${SECRET.slice(0, half)}</span><b>${SECRET.slice(half)}</b></p>
<input id="password" type="password" value="${PASSWORD}" size="30">
<input id="value" value="token ${SECRET}" size="40">
<input id="typed" size="40">
<p id="bearer">Authorization: Bearer abcDEF123456789</p>
<p id="contents"><span style="display:contents">${SECRET}</span></p>
<iframe id="frame" src="${frameUrl}/frame" style="width:600px;height:110px;border:0"></iframe>
<div style="height:1600px"></div>
<p id="below">Far below the fold: ${SECRET}</p>
<dialog id="dialog"><p id="modal">In a modal dialog: ${SECRET}</p></dialog>
</body></html>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    baseUrl = `http://127.0.0.1:${port}`;
    // Another origin (and so, in Chromium, another renderer process) on the same loopback server.
    frameUrl = `http://localhost:${port}`;
  });
  afterAll(async () => {
    server?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  const mainIds = ['text', 'split', 'password', 'value', 'typed', 'bearer', 'contents', 'below'] as const;

  async function measure(page: Page): Promise<Record<string, Box>> {
    const boxes: Record<string, Box> = {};
    for (const id of [...mainIds, 'control']) {
      const box = await page.locator(`#${id}`).boundingBox();
      if (box) boxes[id] = box;
    }
    for (const id of ['inner', 'inner-control']) {
      const box = await page.frameLocator('#frame').locator(`#${id}`).boundingBox();
      if (box) boxes[id] = box;
    }
    return boxes;
  }

  test('text, split text, password and value inputs, a typed value, a pattern, a frame and text below the fold are covered; plain text is not', async () => {
    let boxes: Record<string, Box> = {};
    let marksLeft = -1;
    const definition = defineCanary({ name: 'leaky-page', type: 'browser' }, async ({ page, step }) => {
      await step('open', async () => {
        await page.goto(`${baseUrl}/`);
        await page.locator('#typed').fill(SECRET);
        await page.frameLocator('#frame').locator('#inner').waitFor();
        await page.evaluate(() => window.scrollTo(0, 0));
        boxes = await measure(page);
      });
      await step('fails', async () => {
        // A modal dialog (the top layer) opens, and the page is scrolled, as it often is when a step
        // fails: the masks must still sit on their elements.
        await page.evaluate(() => (document.getElementById('dialog') as HTMLDialogElement).showModal());
        await page.evaluate(() => window.scrollTo(0, 150));
        // The dialog is fixed: in the full-page image it sits where the scrolled viewport shows it.
        const modal = await page.locator('#modal').boundingBox();
        const scrollY = await page.evaluate(() => window.scrollY);
        if (modal) boxes.modal = { ...modal, y: modal.y + scrollY };
        throw new Error('planted failure');
      }).catch(() => undefined);
      marksLeft = await page.evaluate((a) => document.querySelectorAll(`[${a}]`).length, MASK_ATTRIBUTE);
    });
    const { canaries, artifacts } = await runCanaries({
      canaries: [{ definition, file: 'inline' }],
      baseUrl,
      env: 'test',
      config: { concurrency: 1, retries: 0, timeout: '30s', stepTimeout: '10s' },
      timeline: new Timeline(),
      outDir,
      redact: redactor.text,
    });
    expect(canaries[0]?.error).toBe('step "fails" failed: planted failure');
    const shot = artifacts.find((a) => a.kind === 'screenshot');
    expect(shot?.path, JSON.stringify(artifacts)).toMatch(/\.png$/);
    expect(marksLeft).toBe(0);

    const png = PNG.sync.read(readFileSync(join(outDir, shot?.path ?? 'missing')));
    expect(MASK_COLOR).toBe('#FF00FF');
    // A full-page image: the text below the fold is inside it.
    expect(png.height).toBeGreaterThan((boxes.below?.y ?? 0) + (boxes.below?.height ?? 0));

    const unmasked: string[] = [];
    for (const id of [...mainIds, 'inner', 'modal']) {
      const box = boxes[id];
      expect(box, `no box for #${id}`).toBeDefined();
      const { mask, total } = maskPixels(png, box!);
      if (total === 0 || mask !== total) unmasked.push(`#${id}: ${mask}/${total} mask pixels`);
    }
    expect(unmasked).toEqual([]);
    for (const id of ['control', 'inner-control']) {
      const { mask, dark } = maskPixels(png, boxes[id]!);
      expect(mask, `#${id} is masked`).toBe(0);
      expect(dark, `#${id} shows no text`).toBeGreaterThan(0);
    }
  }, 60_000);

  test('a frame that cannot be read is masked whole', async () => {
    const boxes: Record<string, Box> = {};
    const definition = defineCanary({ name: 'unreadable-frame', type: 'browser' }, async ({ page, step }) => {
      await step('fails', async () => {
        await page.goto(`${baseUrl}/with-unreadable-frame`);
        await page.frameLocator('#frame').locator('p').waitFor();
        for (const id of ['control', 'frame']) {
          const box = await page.locator(`#${id}`).boundingBox();
          if (box) boxes[id] = box;
        }
        throw new Error('planted failure');
      });
    });
    const out = join(outDir, 'unreadable');
    const { artifacts } = await runCanaries({
      canaries: [{ definition, file: 'inline' }],
      baseUrl,
      env: 'test',
      config: { concurrency: 1, retries: 0, timeout: '30s', stepTimeout: '10s' },
      timeline: new Timeline(),
      outDir: out,
      redact: redactor.text,
    });
    const shot = artifacts.find((a) => a.kind === 'screenshot');
    expect(shot?.path, JSON.stringify(artifacts)).toMatch(/\.png$/);
    const png = PNG.sync.read(readFileSync(join(out, shot?.path ?? 'missing')));
    const frame = maskPixels(png, boxes.frame!);
    expect(frame.mask).toBe(frame.total);
    expect(maskPixels(png, boxes.control!).mask).toBe(0);
  }, 60_000);

  test('a page that keeps changing gets no screenshot (the text snippet instead)', async () => {
    const definition = defineCanary({ name: 'changing-page', type: 'browser' }, async ({ page, step }) => {
      await step('fails on a changing page', async () => {
        await page.goto(`${baseUrl}/changing`);
        await page.waitForFunction(() => document.querySelectorAll('p').length > 3);
        throw new Error('planted failure');
      });
    });
    const out = join(outDir, 'changing');
    const { artifacts } = await runCanaries({
      canaries: [{ definition, file: 'inline' }],
      baseUrl,
      env: 'test',
      config: { concurrency: 1, retries: 0, timeout: '30s', stepTimeout: '10s' },
      timeline: new Timeline(),
      outDir: out,
      redact: redactor.text,
    });
    // The failure's Playwright trace (masked: canaries/mask-trace.ts) is kept beside the snippet.
    expect(artifacts.map((a) => a.kind)).toEqual(['snippet', 'trace']);
    expect(existsSync(join(out, 'canaries', 'changing-page'))).toBe(true);
  }, 60_000);
});
